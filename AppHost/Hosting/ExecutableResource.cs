namespace Library.AppHost.Hosting;

/// <summary>A resource backed by one child process with a readiness probe.</summary>
public abstract class ExecutableResource(string name) : Resource(name)
{
    private ManagedProcess? _process;

    protected ManagedProcess? Process => _process;

    /// <summary>The pid of the resource's process once started (its session leader).</summary>
    public int? ProcessId => _process?.Pid;

    internal override Task ExitedAsync => _process?.Exited ?? Task.Delay(Timeout.Infinite);

    internal override bool ExitIsExpected => _process?.IsStopping ?? false;

    protected abstract ProcessSpec CreateProcessSpec(OrchestratorContext context);

    /// <summary>True once the process accepts work (a connection, a query, a 200 from /health).</summary>
    protected abstract Task<bool> ProbeAsync(CancellationToken cancellationToken);

    /// <summary>Runs once after the first successful probe, before dependants start (e.g. creating databases).</summary>
    protected virtual Task AfterReadyAsync(OrchestratorContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    protected virtual TimeSpan StartTimeout => TimeSpan.FromSeconds(90);

    /// <summary>Work that must happen before the process starts (e.g. initdb); may itself run processes.</summary>
    protected virtual Task PrepareAsync(OrchestratorContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    internal override async Task StartAsync(OrchestratorContext context, CancellationToken cancellationToken)
    {
        await PrepareAsync(context, cancellationToken);
        var spec = CreateProcessSpec(context);
        _process = ManagedProcess.Start(Name, spec, context.Logs);
        context.Registry.Register(Name, _process);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var delay = TimeSpan.FromMilliseconds(25);
        while (true)
        {
            // An exit before readiness is a failure whatever the exit code (RabbitMQ exits 0 after a failed boot).
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.Exited.Result} before it was ready; see its log above or in {context.Logs.Directory}.");
            }

            if (await SafeProbeAsync(timeout.Token))
            {
                break;
            }

            try
            {
                await Task.Delay(delay, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} was not ready within {StartTimeout.TotalSeconds:0} s; see {context.Logs.Directory}/{Name}.log.");
            }

            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 1.5, 250));
        }

        await AfterReadyAsync(context, cancellationToken);
    }

    internal override async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
        => _process is { HasExited: false } && await SafeProbeAsync(cancellationToken);

    internal override Task StopAsync() => _process?.StopAsync() ?? Task.CompletedTask;

    /// <summary>Kills the process tree without waiting; for a second Ctrl+C.</summary>
    internal virtual void KillNow() => _process?.KillSession();

    private async Task<bool> SafeProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ProbeAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Finds a program on PATH (or an absolute path), or fails with the Debian package that provides it.</summary>
    protected static string RequireBinary(string program, string debianPackage)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (Path.IsPathRooted(program))
        {
            return File.Exists(program) ? program : throw Missing(program, debianPackage);
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw Missing(program, debianPackage);
    }

    private static MissingPrerequisiteException Missing(string program, string package)
        => new($"'{program}' was not found: install the Debian package '{package}' (eng/install-prerequisites.sh installs everything).");

    protected static string NewSecret() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
}
