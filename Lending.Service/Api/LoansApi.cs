using Library.SharedKernel.Domain;
using Library.Lending.Application.Loans;
using Library.Lending.Domain.Loans;
using Library.SharedKernel.Http;
using Library.SharedKernel.Idempotency;
using Library.SharedKernel.Pagination;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Library.Lending.Api;

public static class LoansApi
{
    public static IEndpointRouteBuilder MapLoansApi(this IEndpointRouteBuilder app)
    {
        var loans = app.MapGroup("/loans").WithTags("Loans");
        loans.MapGet("/{id}", GetAsync).WithName("GetLoan").WithSummary("Gets one loan by id.").ProducesValidationProblem();
        loans.MapGet("/", ListAsync).WithName("ListLoans").WithSummary("Lists loans newest first, filtered by patron, status and overdue.").ProducesValidationProblem();
        loans.MapPost("/{id}/extend", ExtendAsync).RequiresIdempotencyKey().WithName("ExtendLoan")
            .WithSummary("Extends an active loan that is not past due by 1–365 days (default 7).").ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        loans.MapPost("/{id}/return", ReturnAsync).RequiresIdempotencyKey().WithName("ReturnLoan")
            .WithSummary("Returns a loan; returning again answers with the first return.").ProducesProblem(StatusCodes.Status409Conflict);

        // SPEC §4: the librarian's desk returns a book without knowing its loan.
        app.MapPost("/books/{id}/return", ReturnBookAsync).RequiresIdempotencyKey().WithTags("Loans").WithName("ReturnBook")
            .WithSummary("Returns the book's outstanding loan.").ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Results<Ok<LoanResponse>, ProblemHttpResult>> GetAsync(string id, LoanQueries queries, CancellationToken ct)
    {
        if (!LoanId.TryParse(id, out var loanId))
        {
            return InvalidId();
        }

        var loan = await queries.GetAsync(loanId, ct);
        return loan is null ? Problems.NotFound("loan.not_found", $"No loan with id {loanId}.") : TypedResults.Ok(loan);
    }

    private static async Task<Ok<Page<LoanResponse>>> ListAsync(LoanQueries queries, string? patronId, string? status, bool? overdue, int? limit, string? cursor, CancellationToken ct)
        => TypedResults.Ok(await queries.ListAsync(new ListLoansQuery(patronId, status, overdue, limit, cursor), ct));

    private static async Task<Results<Ok<LoanExtendedResponse>, ProblemHttpResult>> ExtendAsync(string id, ExtendLoanRequest? request, LoanCommands commands, CancellationToken ct)
        => LoanId.TryParse(id, out var loanId) ? TypedResults.Ok(await commands.HandleAsync(new ExtendLoanCommand(loanId, request?.Days), ct)) : InvalidId();

    private static async Task<Results<Ok<LoanReturnedResponse>, ProblemHttpResult>> ReturnAsync(string id, LoanCommands commands, CancellationToken ct)
        => LoanId.TryParse(id, out var loanId) ? TypedResults.Ok(await commands.HandleAsync(new ReturnLoanCommand(loanId), ct)) : InvalidId();

    private static async Task<Results<Ok<LoanReturnedResponse>, ProblemHttpResult>> ReturnBookAsync(string id, LoanCommands commands, CancellationToken ct)
        => TypedId.TryParse(id, out var bookId)
            ? TypedResults.Ok(await commands.HandleAsync(new ReturnBookCommand(bookId), ct))
            : InvalidId();

    private static ProblemHttpResult InvalidId() => Problems.Validation("id", "id must be a UUID such as 0190f5a4-7c8e-7d3a-9b1e-2f4c6a8e0b1d.");
}

public sealed record ExtendLoanRequest(int? Days);
