using System.Globalization;
using System.Net;

namespace Library.LoadTool;

internal enum LoadMode
{
    Closed,
    Open,
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

    public const string Usage = """
        Library.LoadTool - HTTP load generator for the Library services (loopback use only).

        Usage:
          dotnet run -c Release --project tests/LoadTool -- [options]

        Load shape:
          --mode closed|open       closed: every connection sends its next request as soon as the
                                   previous one completes (max throughput). open: constant arrival
                                   rate, latency measured from the intended start time
                                   (coordinated-omission corrected). Default: closed.
          -c, --connections N      concurrent virtual connections, each its own TCP connection (default 64)
          -r, --rate R             open mode: total requests per second across all connections (required)
          -d, --duration T         measured duration, e.g. 30s, 2m, 500ms (default 30s)
          -w, --warmup T           warm-up before measuring; its requests are not recorded (default 10s)
          -t, --timeout T          per-request timeout (default 5s)

        Target:
          --base-url URL           default http://localhost:8080; host must be localhost, 127.x or ::1
          --allow-remote           permit a non-loopback base URL (do not use against shared systems)
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

        Output:
          --json FILE              also write a machine-readable summary
          -h, --help               show this help

        Placeholders in paths, bodies and mix headers: {uuid} {rand} {bookId} {patronId} {loanId}.
        Exit codes: 0 run completed (even with request errors), 1 nothing runnable, 2 bad arguments.
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

    /// <summary>Base URL without a trailing slash; request paths (which start with '/') are appended to it.</summary>
    public string BasePrefix => BaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');

    public static Options Parse(IReadOnlyList<string> args)
    {
        var o = new Options();
        bool rateGiven = false;
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
                    rateGiven = true;
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
                default:
                    throw new UsageException($"unknown argument '{arg}'");
            }
        }

        if (o.ShowHelp)
        {
            return o;
        }

        o.Validate(rateGiven);
        return o;
    }

    private void Validate(bool rateGiven)
    {
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

            if (Rate is <= 0 or > 1_000_000 || double.IsNaN(Rate.Value))
            {
                throw new UsageException("--rate must be > 0 and <= 1000000");
            }
        }
        else if (rateGiven)
        {
            throw new UsageException("--rate only applies to --mode open (closed loop runs at maximum throughput)");
        }

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
