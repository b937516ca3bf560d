using System.Globalization;
using System.Net;

namespace Library.LoadTool;

internal enum LoadMode
{
    Closed,
    Open,
}

/// <summary>What the tool does: the generic HTTP load (default) or one of the built-in scenarios.</summary>
internal enum Scenario
{
    /// <summary>--path or --mix in a closed or open loop.</summary>
    Http,

    /// <summary>Open-loop borrows, then every borrow operation is polled to its end (SPEC §3).</summary>
    BorrowSaga,

    /// <summary>Closed-loop patron registrations, counted again as PatronRegistered events on RabbitMQ.</summary>
    OutboxThroughput,
}

/// <summary>Bad command-line arguments or an unusable input file: the tool exits with code 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Parsed command line.</summary>
internal sealed class Options
{
    public const int MaxConnections = 50_000;
    public const int DefaultSeedBooks = 200;
    public const int DefaultSeedPatrons = 50;
    public const int DefaultOutboxConnections = 32;
    public static readonly TimeSpan DefaultSagaWarmup = TimeSpan.FromSeconds(5);

    // Options that only make sense for one scenario, by the scenario they belong to.
    private static readonly string[] HttpOnlyOptions =
        ["--path", "--mix", "--method", "--body", "--seed-books", "--seed-patrons", "--id-file", "--patron-id-file", "--loan-id-file", "--mode"];

    private static readonly string[] OpenLoopOptions = ["--rate", "--duration", "--warmup"];

    public const string Usage = """
        Library.LoadTool - HTTP load generator for the Library services (loopback use only).

        Usage:
          dotnet run -c Release --project tests/LoadTool -- [options]
          dotnet run -c Release --project tests/LoadTool -- --scenario borrow-saga --rate R [options]
          dotnet run -c Release --project tests/LoadTool -- --scenario outbox-throughput --amqp URI [options]

        Scenario:
          --scenario NAME          http (default): --path or --mix, as described below.
                                   borrow-saga: POST /books/{id}/borrow at --rate per second (open loop),
                                   a fresh book per borrow, researcher patrons in rotation; then poll
                                   every borrow operation and report sagas borrowed/released/stuck and
                                   the saga latency from the server's timestamps (updatedAt - createdAt).
                                   Uses --rate, --duration, --warmup (default 5s), --connections,
                                   --timeout, --settle.
                                   outbox-throughput: POST /patrons --count times with --connections
                                   (closed loop) and receive the PatronRegistered events from the
                                   library.events exchange on a private queue; reports 201/s, events/s,
                                   the lag and missing events. Uses --count, --amqp, --connections
                                   (default 32), --timeout, --settle.
          --count N                outbox-throughput: patrons to register (default 2000)
          --amqp URI               outbox-throughput: RabbitMQ, e.g. amqp://user:pass@127.0.0.1:5672;
                                   host must be loopback like --base-url (the password is masked in output)
          --settle T               after the load, how long to wait for sagas to end or events to
                                   arrive (default 30s)

        Load shape:
          --mode closed|open       http scenario: closed: every connection sends its next request as
                                   soon as the previous one completes (max throughput). open: constant
                                   arrival rate, latency measured from the intended start time
                                   (coordinated-omission corrected). Default: closed.
          -c, --connections N      concurrent virtual connections, each its own TCP connection (default 64)
          -r, --rate R             open mode: total requests per second across all connections (required)
          -d, --duration T         measured duration, e.g. 30s, 2m, 500ms (default 30s)
          -w, --warmup T           warm-up before measuring; its requests are not recorded (default 10s)
          -t, --timeout T          per-request timeout (default 5s)

        Target:
          --base-url URL           default http://localhost:8080; host must be localhost, 127.x or ::1
          --allow-remote           permit a non-loopback base URL or AMQP host (do not use against shared systems)
          --path PATH              single fixed request, e.g. /books/{bookId}
          --method M               method for --path (default GET)
          --body TEXT              body for --path (JSON, placeholders allowed)
          --mix FILE               weighted request mix (JSON), e.g. tests/LoadTool/mixes/seed-mix.json
          -H, --header "N: V"      header added to every request (repeatable)

        Id pools (for {bookId}, {patronId}, {loanId}):
          --seed-books N           create N books via POST /books before the run
                                   (default 200 if {bookId} is used and no --id-file is given)
          --seed-patrons N         create N patrons via POST /patrons before the run
                                   (default 50 if {patronId} is used and no --patron-id-file is given)
          --id-file FILE           book ids, one per line (used instead of seeding books)
          --patron-id-file FILE    patron ids, one per line
          --loan-id-file FILE      loan ids, one per line (loans are never seeded; without this file
                                   entries using {loanId} are disabled with a warning)

        CPU (every process of the AppHost run and their descendants, from /proc; on by default):
          --cpu-apphost PID        the AppHost run to measure (default: the only one running)
          --no-cpu                 do not measure CPU

        Output:
          --json FILE              also write a machine-readable summary
          -h, --help               show this help

        Placeholders in paths, bodies and mix headers: {uuid} {rand} {bookId} {patronId} {loanId}.
        Exit codes: 0 run completed (even with request errors, released sagas or missing events),
        1 nothing runnable (every entry disabled, scenario set-up failed, broker unreachable), 2 bad arguments.
        """;

    public LoadMode Mode { get; private set; } = LoadMode.Closed;

    public int Connections { get; private set; } = 64;

    public double? Rate { get; private set; }

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(30);

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(10);

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(5);

    public Uri BaseUrl { get; private set; } = new("http://localhost:8080");

    public string? Path { get; private set; }

    public string Method { get; private set; } = "GET";

    public string? Body { get; private set; }

    public string? MixFile { get; private set; }

    public int? SeedBooks { get; private set; }

    public int? SeedPatrons { get; private set; }

    public string? BookIdFile { get; private set; }

    public string? PatronIdFile { get; private set; }

    public string? LoanIdFile { get; private set; }

    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public string? JsonOut { get; private set; }

    public bool AllowRemote { get; private set; }

    public bool ShowHelp { get; private set; }

    /// <summary>Measure the CPU time of the run's processes (<see cref="CpuMeter"/>).</summary>
    public bool MeasureCpu { get; private set; } = true;

    /// <summary>The AppHost whose run is measured; null: the only one running.</summary>
    public int? CpuAppHost { get; private set; }

    public Scenario Scenario { get; private set; } = Scenario.Http;

    /// <summary>outbox-throughput: patrons to register.</summary>
    public int Count { get; private set; } = 2000;

    /// <summary>outbox-throughput: the broker, with credentials (never print it; use <see cref="MaskUri"/>).</summary>
    public Uri? Amqp { get; private set; }

    /// <summary>Scenarios: how long to wait after the load for sagas to end / events to arrive.</summary>
    public TimeSpan Settle { get; private set; } = TimeSpan.FromSeconds(30);

    /// <summary>Base URL without a trailing slash; request paths (which start with '/') are appended to it.</summary>
    public string BasePrefix => BaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');

    public static Options Parse(IReadOnlyList<string> args)
    {
        var o = new Options();
        var given = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string name = arg;
            string? inline = null;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    name = arg[..eq];
                    inline = arg[(eq + 1)..];
                }
            }

            string Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"{name} needs a value");
                }

                return args[++i];
            }

            given.Add(name switch
            {
                "-c" => "--connections",
                "-r" => "--rate",
                "-d" => "--duration",
                "-w" => "--warmup",
                "-t" => "--timeout",
                "-H" => "--header",
                _ => name,
            });
            switch (name)
            {
                case "-h":
                case "--help":
                    o.ShowHelp = true;
                    break;
                case "--allow-remote":
                    o.AllowRemote = true;
                    break;
                case "--mode":
                    o.Mode = Value().ToUpperInvariant() switch
                    {
                        "CLOSED" => LoadMode.Closed,
                        "OPEN" => LoadMode.Open,
                        var other => throw new UsageException($"--mode must be 'closed' or 'open', not '{other.ToLowerInvariant()}'"),
                    };
                    break;
                case "-c":
                case "--connections":
                    o.Connections = ParseInt(name, Value(), 1, MaxConnections);
                    break;
                case "-r":
                case "--rate":
                    o.Rate = ParseDouble(name, Value());
                    break;
                case "-d":
                case "--duration":
                    o.Duration = ParseDuration(name, Value());
                    break;
                case "-w":
                case "--warmup":
                    o.Warmup = ParseDuration(name, Value());
                    break;
                case "-t":
                case "--timeout":
                    o.Timeout = ParseDuration(name, Value());
                    break;
                case "--base-url":
                    o.BaseUrl = ParseBaseUrl(Value());
                    break;
                case "--path":
                    o.Path = Value();
                    break;
                case "--method":
                    o.Method = Value().Trim().ToUpperInvariant();
                    break;
                case "--body":
                    o.Body = Value();
                    break;
                case "--mix":
                    o.MixFile = Value();
                    break;
                case "--seed-books":
                    o.SeedBooks = ParseInt(name, Value(), 0, 1_000_000);
                    break;
                case "--seed-patrons":
                    o.SeedPatrons = ParseInt(name, Value(), 0, 1_000_000);
                    break;
                case "--id-file":
                    o.BookIdFile = Value();
                    break;
                case "--patron-id-file":
                    o.PatronIdFile = Value();
                    break;
                case "--loan-id-file":
                    o.LoanIdFile = Value();
                    break;
                case "-H":
                case "--header":
                    o.Headers.Add(ParseHeader(Value()));
                    break;
                case "--json":
                    o.JsonOut = Value();
                    break;
                case "--scenario":
                    o.Scenario = Value().ToUpperInvariant() switch
                    {
                        "HTTP" => Scenario.Http,
                        "BORROW-SAGA" => Scenario.BorrowSaga,
                        "OUTBOX-THROUGHPUT" => Scenario.OutboxThroughput,
                        var other => throw new UsageException(
                            $"--scenario must be 'http', 'borrow-saga' or 'outbox-throughput', not '{other.ToLowerInvariant()}'"),
                    };
                    break;
                case "--count":
                    o.Count = ParseInt(name, Value(), 1, 1_000_000);
                    break;
                case "--amqp":
                    o.Amqp = ParseAmqpUri(Value());
                    break;
                case "--settle":
                    o.Settle = ParseDuration(name, Value());
                    break;
                case "--no-cpu":
                    o.MeasureCpu = false;
                    break;
                case "--cpu-apphost":
                    o.CpuAppHost = ParseInt(name, Value(), 2, int.MaxValue);
                    break;
                default:
                    throw new UsageException($"unknown argument '{arg}'");
            }
        }

        if (o.ShowHelp)
        {
            return o;
        }

        switch (o.Scenario)
        {
            case Scenario.BorrowSaga:
                o.ValidateBorrowSaga(given);
                break;
            case Scenario.OutboxThroughput:
                o.ValidateOutboxThroughput(given);
                break;
            default:
                o.Validate(given);
                break;
        }

        return o;
    }

    /// <summary>Name of the scenario as typed on the command line.</summary>
    public string ScenarioName => Scenario switch
    {
        Scenario.BorrowSaga => "borrow-saga",
        Scenario.OutboxThroughput => "outbox-throughput",
        _ => "http",
    };

    private void RejectOptions(HashSet<string> given, IEnumerable<string> options, string why)
    {
        foreach (string option in options)
        {
            if (given.Contains(option))
            {
                throw new UsageException($"{option} does not apply to --scenario {ScenarioName} ({why})");
            }
        }
    }

    private void ValidateBorrowSaga(HashSet<string> given)
    {
        RejectOptions(given, HttpOnlyOptions, "it always borrows with fresh books and patrons, in an open loop");
        RejectOptions(given, ["--count", "--amqp"], "it is for --scenario outbox-throughput");
        Mode = LoadMode.Open;
        if (!given.Contains("--warmup"))
        {
            Warmup = DefaultSagaWarmup;
        }

        if (Rate is null)
        {
            throw new UsageException("--scenario borrow-saga needs --rate (borrows per second)");
        }

        ValidateCommon();
        ValidateRate();
        if (Settle <= TimeSpan.Zero)
        {
            throw new UsageException("--settle must be > 0");
        }

        if (Settle > TimeSpan.FromHours(1))
        {
            throw new UsageException("--settle must not exceed 1h");
        }

        double borrows = Math.Ceiling(Rate!.Value * (Warmup + Duration).TotalSeconds);
        if (borrows > 1_000_000)
        {
            throw new UsageException(
                $"--rate x (--warmup + --duration) asks for {borrows:0} borrows, each needing a fresh book; at most 1000000");
        }
    }

    private void ValidateOutboxThroughput(HashSet<string> given)
    {
        RejectOptions(given, HttpOnlyOptions, "it always registers new patrons in a closed loop");
        RejectOptions(given, OpenLoopOptions, "it is a closed loop of --count requests, not a timed run");
        if (!given.Contains("--connections"))
        {
            Connections = DefaultOutboxConnections;
        }

        if (Amqp is null)
        {
            throw new UsageException("--scenario outbox-throughput needs --amqp amqp://user:pass@127.0.0.1:PORT");
        }

        ValidateCommon();
        if (Settle <= TimeSpan.Zero || Settle > TimeSpan.FromHours(1))
        {
            throw new UsageException("--settle must be > 0 and at most 1h");
        }

        if (!AllowRemote && !IsLoopback(Amqp))
        {
            throw new UsageException(
                $"--amqp host '{Amqp.Host}' is not loopback (localhost, 127.x, ::1); this tool is for local use, pass --allow-remote to override");
        }
    }

    /// <summary>Checks shared by every scenario: timeout, duration bounds and the loopback rule for --base-url.</summary>
    private void ValidateCommon()
    {
        if (Duration <= TimeSpan.Zero)
        {
            throw new UsageException("--duration must be > 0");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw new UsageException("--timeout must be > 0");
        }

        if (Duration + Warmup > TimeSpan.FromHours(24))
        {
            throw new UsageException("--warmup + --duration must not exceed 24h");
        }

        if (!AllowRemote && !IsLoopback(BaseUrl))
        {
            throw new UsageException(
                $"--base-url host '{BaseUrl.Host}' is not loopback (localhost, 127.x, ::1); this tool is for local use, pass --allow-remote to override");
        }
    }

    private void ValidateRate()
    {
        if (Rate is <= 0 or > 1_000_000 || double.IsNaN(Rate!.Value))
        {
            throw new UsageException("--rate must be > 0 and <= 1000000");
        }
    }

    private void Validate(HashSet<string> given)
    {
        RejectOptions(given, ["--count", "--amqp"], "it is for --scenario outbox-throughput");
        RejectOptions(given, ["--settle"], "it is for --scenario borrow-saga and outbox-throughput");
        if (Path is null == (MixFile is null))
        {
            throw new UsageException("give exactly one of --path or --mix");
        }

        if (Path is not null)
        {
            ValidatePath(Path);
            if (Method.Length == 0 || !Method.All(char.IsAsciiLetter))
            {
                throw new UsageException($"--method '{Method}' is not a valid HTTP method");
            }
        }
        else if (Body is not null)
        {
            throw new UsageException("--body only applies to --path; put bodies in the mix file");
        }

        if (Mode == LoadMode.Open)
        {
            if (Rate is null)
            {
                throw new UsageException("--mode open needs --rate (total requests per second)");
            }

            ValidateRate();
        }
        else if (given.Contains("--rate"))
        {
            throw new UsageException("--rate only applies to --mode open (closed loop runs at maximum throughput)");
        }

        ValidateCommon();
    }

    public static void ValidatePath(string path)
    {
        if (path.Length == 0 || path[0] != '/' || path.StartsWith("//", StringComparison.Ordinal))
        {
            throw new UsageException($"path '{path}' must start with a single '/' (it is appended to --base-url)");
        }

        if (path.Contains('#', StringComparison.Ordinal) || path.Any(char.IsWhiteSpace))
        {
            throw new UsageException($"path '{path}' must not contain whitespace or '#'");
        }
    }

    public static bool IsLoopback(Uri uri)
    {
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(uri.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip);
    }

    private static Uri ParseBaseUrl(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) ||
            (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--base-url '{value}' is not an absolute http(s) URL");
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new UsageException("--base-url must not contain a query, fragment or user info");
        }

        return uri;
    }

    private static Uri ParseAmqpUri(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != "amqp" && uri.Scheme != "amqps") || uri.Host.Length == 0)
        {
            // The value may hold a password: do not echo it.
            throw new UsageException($"--amqp '{MaskUri(value)}' is not an amqp:// or amqps:// URI with a host");
        }

        if (uri.Fragment.Length > 0)
        {
            throw new UsageException("--amqp must not contain a fragment");
        }

        return uri;
    }

    /// <summary>The URI with any password replaced by ***, for printing (works on unparsable text too).</summary>
    public static string MaskUri(string uri)
    {
        int scheme = uri.IndexOf("://", StringComparison.Ordinal);
        int start = scheme < 0 ? 0 : scheme + 3;
        int end = uri.IndexOfAny(['/', '?', '#'], start);
        string authority = end < 0 ? uri[start..] : uri[start..end];
        int at = authority.LastIndexOf('@');
        int colon = at < 0 ? -1 : authority.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || colon > at)
        {
            return uri; // no user info, or a user name without a password
        }

        return $"{uri[..(start + colon + 1)]}***{uri[(start + at)..]}";
    }

    private static KeyValuePair<string, string> ParseHeader(string value)
    {
        int colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new UsageException($"--header '{value}' must look like 'Name: value'");
        }

        string headerName = value[..colon].Trim();
        string headerValue = value[(colon + 1)..].Trim();
        if (headerName.Length == 0 || headerName.Any(c => c <= ' ' || c >= 127 || c == ':'))
        {
            throw new UsageException($"--header '{value}' has an invalid header name");
        }

        if (headerValue.Any(c => c is '\r' or '\n'))
        {
            throw new UsageException("--header values must not contain line breaks");
        }

        return new KeyValuePair<string, string>(headerName, headerValue);
    }

    private static int ParseInt(string name, string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
        {
            throw new UsageException($"{name} must be an integer between {min} and {max}, not '{value}'");
        }

        return n;
    }

    private static double ParseDouble(string name, string value)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
        {
            throw new UsageException($"{name} must be a number, not '{value}'");
        }

        return d;
    }

    /// <summary>Parses 30s, 500ms, 2m, 1h or a bare number of seconds.</summary>
    public static TimeSpan ParseDuration(string name, string value)
    {
        string s = value.Trim().ToLowerInvariant();
        double unitSeconds = 1;
        if (s.EndsWith("ms", StringComparison.Ordinal))
        {
            unitSeconds = 0.001;
            s = s[..^2];
        }
        else if (s.EndsWith('s'))
        {
            s = s[..^1];
        }
        else if (s.EndsWith('m'))
        {
            unitSeconds = 60;
            s = s[..^1];
        }
        else if (s.EndsWith('h'))
        {
            unitSeconds = 3600;
            s = s[..^1];
        }

        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) || !double.IsFinite(n) || n < 0 || n > 1e7)
        {
            throw new UsageException($"{name} must be a duration like 30s, 500ms, 2m or 1h, not '{value}'");
        }

        return TimeSpan.FromSeconds(n * unitSeconds);
    }

    public static string FormatDuration(TimeSpan t)
    {
        if (t.TotalSeconds < 1 && t > TimeSpan.Zero)
        {
            return t.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
        }

        return t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
    }
}
