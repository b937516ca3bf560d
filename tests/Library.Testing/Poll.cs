namespace Library.Testing;

public static class Poll
{
    /// <summary>Polls until the condition holds, failing after the deadline: never a fixed sleep.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan deadline, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var until = DateTime.UtcNow + deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Timed out after {deadline.TotalSeconds} s waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Polls an asynchronous condition until it holds, failing after the deadline.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var until = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Waited {deadline.TotalSeconds} s for {what}.");
            }

            await Task.Delay(100);
        }
    }
}
