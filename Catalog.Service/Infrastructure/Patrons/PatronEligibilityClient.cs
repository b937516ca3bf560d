using System.Net;
using System.Net.Http.Json;
using Library.Catalog.Domain.Borrowing;
using Library.SharedKernel.Json;
using Polly;

namespace Library.Catalog.Infrastructure.Patrons;

/// <summary>
/// Catalog's one synchronous question to Patron (SPEC §3): does this patron exist, and may they borrow?
/// Reached as http://patron-api through service discovery, behind the <c>patron-api</c> circuit breaker and
/// <see cref="PatronCallResilience"/>'s retries and timeouts.
/// </summary>
public sealed class PatronEligibilityClient(HttpClient http)
{
    private static readonly System.Text.Json.JsonSerializerOptions s_json = CreateJsonOptions();

    /// <summary>The patron's snapshot, or null when Patron does not know them.</summary>
    public async Task<BorrowerSnapshot?> GetAsync(Guid patronId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri($"/patrons/{patronId}/eligibility", UriKind.Relative), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<BorrowerSnapshot>(s_json, cancellationToken)
            ?? throw new HttpRequestException("Patron answered an empty eligibility document.");
    }

    private static System.Text.Json.JsonSerializerOptions CreateJsonOptions()
    {
        var options = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        LibraryJson.Configure(options);
        return options;
    }
}

/// <summary>
/// The eligibility call's retries and timeouts (<c>Catalog:PatronCall:AttemptTimeout</c>, default 2 s, and
/// <c>Catalog:PatronCall:Retries</c>, default 1): an answer takes milliseconds, so a borrow never waits long for a
/// Patron that does not answer. They sit inside the circuit breaker, which sees a timed-out call as a failure.
/// </summary>
public static class PatronCallResilience
{
    public static IHttpClientBuilder AddPatronCallTimeouts(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddResilienceHandler("patron-call", (pipeline, context) =>
        {
            var configuration = context.ServiceProvider.GetRequiredService<IConfiguration>();
            pipeline
                .AddRetry(new Microsoft.Extensions.Http.Resilience.HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = Math.Max(0, configuration.GetValue("Catalog:PatronCall:Retries", 1)),
                    Delay = TimeSpan.FromMilliseconds(100),
                    BackoffType = Polly.DelayBackoffType.Exponential,
                    UseJitter = true,
                })
                .AddTimeout(configuration.GetValue("Catalog:PatronCall:AttemptTimeout", TimeSpan.FromSeconds(2)));
        });
        return builder;
    }
}
