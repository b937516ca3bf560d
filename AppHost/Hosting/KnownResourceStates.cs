namespace Library.AppHost.Hosting;

/// <summary>Aspire's resource state words, so operators and tests read the same vocabulary.</summary>
public enum ResourceState
{
    NotStarted,
    Waiting,
    Starting,
    Running,
    FailedToStart,
    Exited,
    Finished,
}

public enum ResourceHealth
{
    Unknown,
    Healthy,
    Unhealthy,
}
