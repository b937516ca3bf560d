using Library.SharedKernel.Domain;
using Library.Catalog.Application.Borrowing;
using Library.SharedKernel.Http;
using Library.SharedKernel.Idempotency;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Library.Catalog.Api;

public static class BorrowingApi
{
    public static IEndpointRouteBuilder MapBorrowingApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/books/{id}/borrow", BorrowAsync).RequiresIdempotencyKey().WithTags("Borrowing").WithName("BorrowBook")
            .WithSummary("Starts borrowing a book: 202 with the borrow operation to poll at its Location.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        app.MapPost("/loans", CreateLoanAsync).RequiresIdempotencyKey().WithTags("Borrowing").WithName("CreateLoan")
            .WithSummary("Same as borrowing: {bookId, patronId} → 202 with the borrow operation.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        app.MapGet("/borrow-operations/{id}", GetOperationAsync).WithTags("Borrowing").WithName("GetBorrowOperation")
            .WithSummary("Polls a borrow operation: reserved, then borrowed (loanId) or released (failureReason), then returned.");
        return app;
    }

    private static async Task<Accepted<BorrowOperationResponse>> BorrowAsync(string id, BorrowRequest? request, StartBorrowHandler handler, CancellationToken ct)
        => Accepted(await handler.HandleAsync(new StartBorrowCommand(id, request?.PatronId), ct));

    private static async Task<Accepted<BorrowOperationResponse>> CreateLoanAsync(CreateLoanRequest request, StartBorrowHandler handler, CancellationToken ct)
        => Accepted(await handler.HandleAsync(new StartBorrowCommand(request.BookId, request.PatronId), ct));

    private static async Task<Results<Ok<BorrowOperationResponse>, ProblemHttpResult>> GetOperationAsync(string id, BorrowOperationQueries queries, CancellationToken ct)
    {
        if (!TypedId.TryParse(id, out var operationId))
        {
            return Problems.Validation("id", "id must be a UUID.");
        }

        var operation = await queries.GetAsync(operationId, ct);
        return operation is null ? Problems.NotFound("borrow_operation.not_found", $"No borrow operation with id {operationId}.") : TypedResults.Ok(operation);
    }

    private static Accepted<BorrowOperationResponse> Accepted(BorrowOperationResponse operation)
        => TypedResults.Accepted($"/borrow-operations/{operation.Id}", operation);
}

/// <summary>Body of POST /books/{id}/borrow. Until sign-in exists every caller acts as staff, so patronId is required.</summary>
public sealed record BorrowRequest(string? PatronId);

public sealed record CreateLoanRequest(string? BookId, string? PatronId);
