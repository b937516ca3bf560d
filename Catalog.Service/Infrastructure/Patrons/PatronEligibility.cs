using Library.Catalog.Domain.Borrowing;
using Library.SharedKernel.Caching;

namespace Library.Catalog.Infrastructure.Patrons;

/// <summary>
/// Patron's eligibility answers, kept in Catalog's query cache per patron (decision 0018): a borrow asks Patron only
/// when Catalog has no answer for that patron. Every later change of a patron's borrower state is one of Patron's events,
/// and Catalog's consumer moves that patron's generation after it (<see cref="PatronEligibilityCache"/>), so a
/// suspension stops borrows as soon as its event is delivered; <c>Catalog:EligibilityCache:Ttl</c> (30 s; 0 turns the
/// cache off) bounds how long an answer is used when events are not delivered (the broker is down). An unknown
/// patron is never cached (one registered a moment ago is asked for again). The answer is only used after the
/// endpoint checked that the caller may act for the patron, as Patron would.
/// </summary>
public sealed class PatronEligibility(QueryCache cache, PatronEligibilityClient patrons, IConfiguration configuration)
{
    public Task<BorrowerSnapshot?> GetAsync(Guid patronId, CancellationToken cancellationToken)
    {
        var ttl = configuration.GetValue("Catalog:EligibilityCache:Ttl", TimeSpan.FromSeconds(30));
        return ttl <= TimeSpan.Zero
            ? patrons.GetAsync(patronId, cancellationToken)
            : cache.GetOrLoadAsync<PatronEligibilityClient, BorrowerSnapshot>(
                $"eligibility:{patronId}", PatronEligibilityCache.Of(patronId), (client, ct) => client.GetAsync(patronId, ct), cancellationToken, ttl);
    }
}

/// <summary>The cache generation of one patron's eligibility answer, moved by each of Patron's events about them.</summary>
public static class PatronEligibilityCache
{
    public static string Of(Guid patronId) => $"gen:eligibility:{patronId}";
}
