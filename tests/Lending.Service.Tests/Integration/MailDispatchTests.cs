using System.Text;
using Library.Lending.Infrastructure.Notifications;
using Library.Lending.Infrastructure.Persistence;
using Library.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Library.Lending.Tests.Integration;

/// <summary>
/// Issue 11 item 8: two dispatchers (as two replicas) over one mail outbox, a provider that takes its time, and a
/// configured lease shorter than a batch takes to send: every mail is sent exactly once.
/// </summary>
[Collection(LendingConsumers.Name)]
public sealed class MailDispatchTests(LendingServers servers)
{
    [Fact]
    public async Task TwoDispatchers_WithASlowProvider_SendEveryMailOnce_EvenWhenTheConfiguredLeaseIsShorterThanTheBatch()
    {
        await using var provider = await SlowSendGrid.StartAsync(TimeSpan.FromMilliseconds(1200));
        await using var factory = new LendingApiFactory(servers)
        {
            SystemClock = true,
            Settings = new Dictionary<string, string>
            {
                ["SendGrid:ApiKey"] = "test-key",
                ["SendGrid:Host"] = provider.Address,
                ["Notifications:ClaimLease"] = "00:00:01",
                ["Notifications:PollInterval"] = "00:00:00.100",
            },
        };
        _ = factory.Services; // the hosted dispatcher runs

        var keys = Enumerable.Range(0, 4).Select(i => $"dispatch-test:{Guid.NewGuid():N}:{i}").ToArray();
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LendingDbContext>();
            foreach (var key in keys)
            {
                db.OutgoingMails.Add(new OutgoingMail { Id = Guid.CreateVersion7(), Key = key, To = "reader@example.org", Subject = "Test", Text = key, Html = key, CreatedAt = DateTimeOffset.UtcNow, NextAttemptAt = DateTimeOffset.UtcNow });
            }

            await db.SaveChangesAsync();
        }

        // A second replica's dispatcher, side by side with the hosted one.
        var second = ActivatorUtilities.CreateInstance<MailDispatcher>(factory.Services);
        using var stop = new CancellationTokenSource();
        var secondRuns = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await second.DispatchAsync(stop.Token);
                await Task.Delay(100);
            }
        });

        await Poll.UntilAsync(async () => await SentAsync(factory, keys) == keys.Length, TimeSpan.FromSeconds(30), "every mail sent");
        await Task.Delay(TimeSpan.FromSeconds(2)); // time for a duplicate, if any, to be sent
        await stop.CancelAsync();
        await secondRuns;

        foreach (var key in keys)
        {
            provider.TimesReceived(key).ShouldBe(1, key);
        }
    }

    private static async Task<int> SentAsync(LendingApiFactory factory, string[] keys)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LendingDbContext>().OutgoingMails.CountAsync(m => keys.Contains(m.Key) && m.Status == MailStatus.Sent);
    }

    /// <summary>SendGrid's send endpoint on a loopback port: accepts every mail after a delay, and counts what it got.</summary>
    private sealed class SlowSendGrid : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly List<string> _bodies = [];

        private SlowSendGrid(WebApplication app) => _app = app;

        public string Address => _app.Urls.First();

        public static async Task<SlowSendGrid> StartAsync(TimeSpan delay)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var provider = new SlowSendGrid(app);
            app.MapPost("/v3/mail/send", async (HttpRequest request) =>
            {
                using var reader = new StreamReader(request.Body, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                lock (provider._bodies)
                {
                    provider._bodies.Add(body);
                }

                await Task.Delay(delay);
                return Results.Accepted();
            });
            await app.StartAsync();
            return provider;
        }

        public int TimesReceived(string key)
        {
            lock (_bodies)
            {
                return _bodies.Count(b => b.Contains(key, StringComparison.Ordinal));
            }
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
