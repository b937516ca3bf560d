namespace Library.Hosting;

/// <summary>
/// The shell a server runs under when the orchestrator's way of stopping it does not suit it: the orchestrator
/// stops an executable with SIGTERM, and kills the PID it reports. The shell passes a stop on as the signal the
/// server wants, waits for the server to exit, and exits with its status; the server itself is started with
/// <c>setpriv --pdeathsig KILL</c> by the caller, so a hard kill of the shell takes the server down with it.
/// Arguments after the script's name are the server's command line.
/// </summary>
internal static class SupervisingShell
{
    /// <param name="stopSignal">What the server gets on SIGTERM or SIGINT (e.g. <c>INT</c> for PostgreSQL's fast shutdown).</param>
    /// <param name="before">Shell lines run first (e.g. starting a helper process the server needs).</param>
    public static string Script(string stopSignal, string before = "") => $$"""
        {{before}}
        trap 'kill -{{stopSignal}} "$child" 2>/dev/null' TERM INT
        "$@" &
        child=$!
        while :; do
          wait "$child"; status=$?
          kill -0 "$child" 2>/dev/null || exit "$status"
        done
        """;
}
