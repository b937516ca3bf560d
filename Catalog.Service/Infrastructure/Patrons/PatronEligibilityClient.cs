using System.Net;
using System.Net.Http.Json;
using Library.Catalog.Domain.Borrowing;
using Library.SharedKernel.Json;

namespace Library.Catalog.Infrastructure.Patrons;

/// <summary>
/// Catalog's one synchronous question to Patron (SPEC §3): does this patron exist, and may they borrow?
/// Reached as http://patron-api through service discovery, with the standard resilience pipeline
/// (timeouts, retries, circuit breaker) from ServiceDefaults.
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
