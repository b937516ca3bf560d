using System.Security.Claims;
using Library.SharedKernel.Domain;
using Library.Catalog.Application.Borrowing;
using Library.SharedKernel.Http;
using Library.SharedKernel.Idempotency;
using Library.SharedKernel.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Library.Catalog.Api;

public static class BorrowingApi
{
    public static IEndpointRouteBuilder MapBorrowingApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/books/{id}/borrow", BorrowAsync).RequireAuthorization(LibraryPolicies.Member).RequiresIdempotencyKey().WithTags("Borrowing").WithName("BorrowBook")
            .WithSummary("Starts borrowing a book: 202 with the borrow operation to poll at its Location.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        app.MapPost("/loans", CreateLoanAsync).RequireAuthorization(LibraryPolicies.Librarian).RequiresIdempotencyKey().WithTags("Borrowing").WithName("CreateLoan")
            .WithSummary("Same as borrowing: {bookId, patronId} → 202 with the borrow operation.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        app.MapGet("/borrow-operations/{id}", GetOperationAsync).RequireAuthorization(LibraryPolicies.Member).WithTags("Borrowing").WithName("GetBorrowOperation")
            .WithSummary("Polls a borrow operation: reserved, then borrowed (loanId) or released (failureReason), then returned.");
        return app;
    }

    /// <summary>A patron borrows for themselves (patronId may be omitted, and if given must be theirs); staff name the patron.</summary>
    private static async Task<Results<Accepted<BorrowOperationResponse>, ProblemHttpResult>> BorrowAsync(string id, BorrowRequest? request, ClaimsPrincipal user, StartBorrowHandler handler, CancellationToken ct)
    {
        var patronId = request?.PatronId;
        if (!user.IsStaff())
        {
            var self = user.PatronId()?.ToString();
            if (patronId is not null && !string.Equals(patronId, self, StringComparison.OrdinalIgnoreCase))
            {
                return Problems.Forbidden("A patron may borrow only for themselves.");
            }

            patronId = self;
        }

        return Accepted(await handler.HandleAsync(new StartBorrowCommand(id, patronId), ct));
    }

    private static async Task<Accepted<BorrowOperationResponse>> CreateLoanAsync(CreateLoanRequest request, StartBorrowHandler handler, CancellationToken ct)
        => Accepted(await handler.HandleAsync(new StartBorrowCommand(request.BookId, request.PatronId), ct));

    private static async Task<Results<Ok<BorrowOperationResponse>, ProblemHttpResult>> GetOperationAsync(string id, ClaimsPrincipal user, BorrowOperationQueries queries, CancellationToken ct)
    {
        if (!TypedId.TryParse(id, out var operationId))
        {
            return Problems.Validation("id", "id must be a UUID.");
        }

        var operation = await queries.GetAsync(operationId, ct);
        if (operation is null)
        {
            return Problems.NotFound("borrow_operation.not_found", $"No borrow operation with id {operationId}.");
        }

        return user.MayActFor(operation.PatronId) ? TypedResults.Ok(operation) : Problems.Forbidden("A patron may read only their own borrow operations.");
    }

    private static Accepted<BorrowOperationResponse> Accepted(BorrowOperationResponse operation)
        => TypedResults.Accepted($"/borrow-operations/{operation.Id}", operation);
}

/// <summary>Body of POST /books/{id}/borrow: patronId is required for staff; a patron may omit it (SPEC §4).</summary>
public sealed record BorrowRequest(string? PatronId);

public sealed record CreateLoanRequest(string? BookId, string? PatronId);
