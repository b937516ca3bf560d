using Library.Hosting;

namespace Library.AppHost.Tests;

/// <summary>A run whose AppHost was killed leaves its folder; the next run removes it, and never a live run's.</summary>
public sealed class ServerFoldersTests
{
    [Fact]
    public async Task Sweep_RemovesTheFolderOfARunWhoseAppHostIsGone()
    {
        var root = Directory.CreateTempSubdirectory("library-sweep-").FullName;
        try
        {
            var crashed = Directory.CreateDirectory(Path.Combine(root, "run-crashed")).FullName;
            using var gone = System.Diagnostics.Process.Start("true")!;
            await gone.WaitForExitAsync();
            await File.WriteAllTextAsync(Path.Combine(crashed, "owner"), $"{gone.Id} 12345");

            ServerFolders.SweepLeftovers(root).ShouldBe([crashed]);

            Directory.Exists(crashed).ShouldBeFalse();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Sweep_LeavesTheFolderOfALiveRunAlone()
    {
        var root = Directory.CreateTempSubdirectory("library-sweep-").FullName;
        try
        {
            var live = Directory.CreateDirectory(Path.Combine(root, "run-live")).FullName;
            var stat = await File.ReadAllTextAsync($"/proc/{Environment.ProcessId}/stat");
            var startTicks = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
            await File.WriteAllTextAsync(Path.Combine(live, "owner"), $"{Environment.ProcessId} {startTicks}");

            ServerFolders.SweepLeftovers(root).ShouldBeEmpty();

            Directory.Exists(live).ShouldBeTrue();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
