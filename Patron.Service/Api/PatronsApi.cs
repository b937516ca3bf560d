using System.Security.Claims;
using Library.Patron.Application.Patrons;
using Library.Patron.Domain.Patrons;
using Library.SharedKernel.Http;
using Library.SharedKernel.Idempotency;
using Library.SharedKernel.Pagination;
using Library.SharedKernel.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Library.Patron.Api;

public static class PatronsApi
{
    public static IEndpointRouteBuilder MapPatronsApi(this IEndpointRouteBuilder app)
    {
        var patrons = app.MapGroup("/patrons").WithTags("Patrons");

        patrons.MapPost("/", RegisterAsync).RequireAuthorization(LibraryPolicies.Librarian).AcceptsIdempotencyKey().WithName("RegisterPatron")
            .WithSummary("Registers a patron (membershipTier defaults to regular).")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        patrons.MapGet("/{id}", GetAsync).RequireAuthorization(LibraryPolicies.Member).WithName("GetPatron").WithSummary("Gets one patron by id.").ProducesValidationProblem();
        patrons.MapGet("/", ListAsync).RequireAuthorization(LibraryPolicies.Librarian).WithName("ListPatrons").WithSummary("Lists patrons by id, filtered by tier and suspension, one keyset page at a time.").ProducesValidationProblem();
        patrons.MapPost("/{id}/suspend", SuspendAsync).RequireAuthorization(LibraryPolicies.Librarian).AcceptsIdempotencyKey().WithName("SuspendPatron")
            .WithSummary("Suspends a patron; a reason is required.").ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        patrons.MapPost("/{id}/reinstate", ReinstateAsync).RequireAuthorization(LibraryPolicies.Librarian).AcceptsIdempotencyKey().WithName("ReinstatePatron")
            .WithSummary("Reinstates a suspended patron.").ProducesProblem(StatusCodes.Status409Conflict);
        patrons.MapPost("/{id}/upgrade-tier", UpgradeTierAsync).RequireAuthorization(LibraryPolicies.Librarian).AcceptsIdempotencyKey().WithName("UpgradePatronTier")
            .WithSummary("Moves a patron to a strictly higher tier.").ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);

        // Service-to-service: Catalog's eligibility check before reserving a book (SPEC §3), made with the borrower's
        // own token (or the librarian's). Not routed by the gateway.
        patrons.MapGet("/{id}/eligibility", EligibilityAsync).RequireAuthorization(LibraryPolicies.Member).WithName("GetBorrowerEligibility").ExcludeFromDescription();
        return app;
    }

    private static async Task<Created<PatronResponse>> RegisterAsync(RegisterPatronRequest request, RegisterPatronHandler handler, CancellationToken ct)
    {
        var patron = await handler.HandleAsync(new RegisterPatronCommand(request.FirstName, request.LastName, request.Email, request.MembershipTier), ct);
        return TypedResults.Created($"/patrons/{patron.Id}", patron);
    }

    private static async Task<Results<Ok<PatronResponse>, ProblemHttpResult>> GetAsync(string id, ClaimsPrincipal user, PatronQueries queries, CancellationToken ct)
    {
        if (!PatronId.TryParse(id, out var patronId))
        {
            return InvalidId();
        }

        if (!user.MayActFor(patronId.Value))
        {
            return Problems.Forbidden("A patron may read only their own record.");
        }

        var patron = await queries.GetAsync(patronId, ct);
        return patron is null ? Problems.NotFound("patron.not_found", $"No patron with id {patronId}.") : TypedResults.Ok(patron);
    }

    private static async Task<Results<Ok<BorrowerEligibility>, ProblemHttpResult>> EligibilityAsync(string id, ClaimsPrincipal user, PatronQueries queries, CancellationToken ct)
    {
        if (!PatronId.TryParse(id, out var patronId))
        {
            return InvalidId();
        }

        if (!user.MayActFor(patronId.Value))
        {
            return Problems.Forbidden("A patron may borrow only for themselves.");
        }

        var eligibility = await queries.GetEligibilityAsync(patronId, ct);
        return eligibility is null ? Problems.NotFound("patron.not_found", $"No patron with id {patronId}.") : TypedResults.Ok(eligibility);
    }

    private static async Task<Ok<Page<PatronResponse>>> ListAsync(PatronQueries queries, string? tier, bool? suspended, int? limit, string? cursor, CancellationToken ct)
        => TypedResults.Ok(await queries.ListAsync(new ListPatronsQuery(tier, suspended, limit, cursor), ct));

    private static async Task<Results<Ok<PatronResponse>, ProblemHttpResult>> SuspendAsync(string id, SuspendPatronRequest request, ChangePatronHandler handler, CancellationToken ct)
        => PatronId.TryParse(id, out var patronId) ? TypedResults.Ok(await handler.HandleAsync(new SuspendPatronCommand(patronId, request.Reason), ct)) : InvalidId();

    private static async Task<Results<Ok<PatronResponse>, ProblemHttpResult>> ReinstateAsync(string id, ChangePatronHandler handler, CancellationToken ct)
        => PatronId.TryParse(id, out var patronId) ? TypedResults.Ok(await handler.HandleAsync(new ReinstatePatronCommand(patronId), ct)) : InvalidId();

    private static async Task<Results<Ok<PatronResponse>, ProblemHttpResult>> UpgradeTierAsync(string id, UpgradeTierRequest request, ChangePatronHandler handler, CancellationToken ct)
        => PatronId.TryParse(id, out var patronId) ? TypedResults.Ok(await handler.HandleAsync(new UpgradePatronTierCommand(patronId, request.MembershipTier), ct)) : InvalidId();

    private static ProblemHttpResult InvalidId() => Problems.Validation("id", "id must be a UUID such as 0190f5a4-7c8e-7d3a-9b1e-2f4c6a8e0b1d.");
}

public sealed record RegisterPatronRequest(string? FirstName, string? LastName, string? Email, string? MembershipTier);

public sealed record SuspendPatronRequest(string? Reason);

public sealed record UpgradeTierRequest(string? MembershipTier);
