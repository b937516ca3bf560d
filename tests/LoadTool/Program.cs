using System.Runtime.InteropServices;

namespace Library.LoadTool;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        Options options;
        RequestPlan? plan = null;
        try
        {
            options = Options.Parse(args);
            if (options.ShowHelp)
            {
                Console.Out.WriteLine(Options.Usage);
                return 0;
            }

            if (options.Scenario == Scenario.Http)
            {
                plan = RequestPlan.Load(options);
            }
        }
        catch (UsageException ex)
        {
            return UsageError(ex.Message);
        }

        var log = Console.Error;
        using var abort = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            if (abort.IsCancellationRequested)
            {
                return; // second signal: let the runtime terminate the process
            }

            context.Cancel = true;
            log.WriteLine($"{context.Signal}: stopping and reporting partial results (send it again to kill)");
            abort.Cancel();
        }

        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        if (await SignIn.AddAdminTokenAsync(options, log) is { } signInFailure)
        {
            log.WriteLine(signInFailure);
            return 2;
        }

        return options.Scenario switch
        {
            Scenario.BorrowSaga => await BorrowSaga.RunAsync(options, args, log, abort),
            Scenario.OutboxThroughput => await OutboxThroughput.RunAsync(options, args, log, abort),
            _ => await RunHttpAsync(options, plan!, args, log, abort),
        };
    }

    /// <summary>The http scenario: --path or --mix in a closed or open loop.</summary>
    private static async Task<int> RunHttpAsync(Options options, RequestPlan plan, string[] args, TextWriter log, CancellationTokenSource abort)
    {
        var warnings = new List<string>();
        IdPools pools;
        try
        {
            pools = await Setup.PrepareAsync(options, plan, warnings, log, abort.Token);
        }
        catch (UsageException ex)
        {
            return UsageError(ex.Message);
        }

        foreach (string warning in warnings)
        {
            log.WriteLine($"warning: {warning}");
        }

        if (plan.EnabledCount == 0)
        {
            log.WriteLine("error: no request left to send (every entry is disabled, see warnings above)");
            return 1;
        }

        if (abort.IsCancellationRequested)
        {
            return 1;
        }

        // Hard upper bound on the run, whatever happens to the target: workers stop issuing at warm-up + duration,
        // in-flight requests time out, and this cancels anything still pending after that.
        abort.CancelAfter(options.Warmup + options.Duration + (3 * options.Timeout) + TimeSpan.FromSeconds(10));
        log.WriteLine(
            $"running: {(options.Mode == LoadMode.Closed ? "closed loop" : $"open loop at {options.Rate} req/s")}, " +
            $"{options.Connections} connections, {Options.FormatDuration(options.Warmup)} warm-up + {Options.FormatDuration(options.Duration)} measured");
        var cpu = await CpuMeter.PrepareAsync(options, log, abort.Token);
        var summary = await LoadRunner.RunAsync(options, plan, pools, cpu?.Meter, log, abort.Token);
        summary.IdleCpu = cpu?.Idle;

        string commandLine = Report.CommandLine(args);
        Report.WriteText(Console.Out, options, plan, pools, warnings, summary, commandLine);
        if (options.JsonOut is not null)
        {
            Report.WriteJson(options.JsonOut, options, plan, pools, warnings, summary, commandLine);
            log.WriteLine($"summary written to {options.JsonOut}");
        }

        return 0;
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine();
        Console.Error.WriteLine(Options.Usage);
        return 2;
    }
}
