using System.Security.Claims;
using Library.SharedKernel.Domain;
using Library.Lending.Application.Loans;
using Library.Lending.Domain.Loans;
using Library.SharedKernel.Http;
using Library.SharedKernel.Idempotency;
using Library.SharedKernel.Pagination;
using Library.SharedKernel.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Library.Lending.Api;

public static class LoansApi
{
    public static IEndpointRouteBuilder MapLoansApi(this IEndpointRouteBuilder app)
    {
        var loans = app.MapGroup("/loans").WithTags("Loans");
        loans.MapGet("/{id}", GetAsync).RequireAuthorization(LibraryPolicies.Member).WithName("GetLoan").WithSummary("Gets one loan by id.").ProducesValidationProblem();
        loans.MapGet("/", ListAsync).RequireAuthorization(LibraryPolicies.Member).WithName("ListLoans").WithSummary("Lists loans newest first, filtered by patron, status and overdue.").ProducesValidationProblem();
        loans.MapPost("/{id}/extend", ExtendAsync).RequireAuthorization(LibraryPolicies.Member).RequiresIdempotencyKey().WithName("ExtendLoan")
            .WithSummary("Extends an active loan that is not past due by 1–365 days (default 7).").ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        loans.MapPost("/{id}/return", ReturnAsync).RequireAuthorization(LibraryPolicies.Member).RequiresIdempotencyKey().WithName("ReturnLoan")
            .WithSummary("Returns a loan; returning again answers with the first return.").ProducesProblem(StatusCodes.Status409Conflict);

        // SPEC §4: the librarian's desk returns a book without knowing its loan.
        app.MapPost("/books/{id}/return", ReturnBookAsync).RequireAuthorization(LibraryPolicies.Librarian).RequiresIdempotencyKey().WithTags("Loans").WithName("ReturnBook")
            .WithSummary("Returns the book's outstanding loan.").ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Results<Ok<LoanResponse>, ProblemHttpResult>> GetAsync(string id, ClaimsPrincipal user, LoanQueries queries, CancellationToken ct)
    {
        if (!LoanId.TryParse(id, out var loanId))
        {
            return InvalidId();
        }

        var loan = await queries.GetAsync(loanId, ct);
        if (loan is null)
        {
            return NotFound(loanId);
        }

        return user.MayActFor(loan.PatronId) ? TypedResults.Ok(loan) : NotYours();
    }

    /// <summary>Staff list every loan; a patron lists their own (patronId omitted, or their own).</summary>
    private static async Task<Results<Ok<Page<LoanResponse>>, ProblemHttpResult>> ListAsync(ClaimsPrincipal user, LoanQueries queries, string? patronId, string? status, bool? overdue, int? limit, string? cursor, CancellationToken ct)
    {
        if (!user.IsStaff())
        {
            var self = user.PatronId()?.ToString();
            if (patronId is not null && !string.Equals(patronId, self, StringComparison.OrdinalIgnoreCase))
            {
                return NotYours();
            }

            patronId = self;
        }

        return TypedResults.Ok(await queries.ListAsync(new ListLoansQuery(patronId, status, overdue, limit, cursor), ct));
    }

    private static async Task<Results<Ok<LoanExtendedResponse>, ProblemHttpResult>> ExtendAsync(string id, ExtendLoanRequest? request, ClaimsPrincipal user, LoanQueries queries, LoanCommands commands, CancellationToken ct)
    {
        if (!LoanId.TryParse(id, out var loanId))
        {
            return InvalidId();
        }

        if (await OwnerCheckAsync(user, queries, loanId, ct) is { } problem)
        {
            return problem;
        }

        return TypedResults.Ok(await commands.HandleAsync(new ExtendLoanCommand(loanId, request?.Days), ct));
    }

    private static async Task<Results<Ok<LoanReturnedResponse>, ProblemHttpResult>> ReturnAsync(string id, ClaimsPrincipal user, LoanQueries queries, LoanCommands commands, CancellationToken ct)
    {
        if (!LoanId.TryParse(id, out var loanId))
        {
            return InvalidId();
        }

        if (await OwnerCheckAsync(user, queries, loanId, ct) is { } problem)
        {
            return problem;
        }

        return TypedResults.Ok(await commands.HandleAsync(new ReturnLoanCommand(loanId), ct));
    }

    /// <summary>Null when the caller may act on the loan; otherwise the problem to answer (404 before 403).</summary>
    private static async Task<ProblemHttpResult?> OwnerCheckAsync(ClaimsPrincipal user, LoanQueries queries, LoanId loanId, CancellationToken ct)
    {
        if (user.IsStaff())
        {
            return null;
        }

        var loan = await queries.GetAsync(loanId, ct);
        return loan is null ? NotFound(loanId) : user.MayActFor(loan.PatronId) ? null : NotYours();
    }

    private static ProblemHttpResult NotFound(LoanId loanId) => Problems.NotFound("loan.not_found", $"No loan with id {loanId}.");

    private static ProblemHttpResult NotYours() => Problems.Forbidden("A patron may see and change only their own loans.");

    private static async Task<Results<Ok<LoanReturnedResponse>, ProblemHttpResult>> ReturnBookAsync(string id, LoanCommands commands, CancellationToken ct)
        => TypedId.TryParse(id, out var bookId)
            ? TypedResults.Ok(await commands.HandleAsync(new ReturnBookCommand(bookId), ct))
            : InvalidId();

    private static ProblemHttpResult InvalidId() => Problems.Validation("id", "id must be a UUID such as 0190f5a4-7c8e-7d3a-9b1e-2f4c6a8e0b1d.");
}

public sealed record ExtendLoanRequest(int? Days);
