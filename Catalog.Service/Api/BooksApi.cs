using Library.SharedKernel.Security;
using Library.Catalog.Application.Books;
using Library.Catalog.Application.Books.AddBook;
using Library.Catalog.Application.Books.GetBook;
using Library.Catalog.Application.Books.ListBooks;
using Library.Catalog.Domain.Books;
using Library.SharedKernel.Http;
using Library.SharedKernel.Idempotency;
using Library.SharedKernel.Pagination;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Library.Catalog.Api;

public static class BooksApi
{
    public static IEndpointRouteBuilder MapBooksApi(this IEndpointRouteBuilder app)
    {
        var books = app.MapGroup("/books").WithTags("Books");

        books.MapPost("/", AddBookAsync)
            .RequireAuthorization(LibraryPolicies.Librarian)
            .AcceptsIdempotencyKey()
            .WithName("AddBook")
            .WithSummary("Adds a physical copy of a book to the catalog.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        books.MapGet("/{id}", GetBookAsync)
            .AllowAnonymous()
            .WithName("GetBook")
            .WithSummary("Gets one book by id.")
            .ProducesValidationProblem();

        books.MapGet("/", ListBooksAsync)
            .AllowAnonymous()
            .WithName("ListBooks")
            .WithSummary("Lists books by id, filtered by title/author substring and status, one keyset page at a time.")
            .ProducesValidationProblem();

        return app;
    }

    private static async Task<Created<BookResponse>> AddBookAsync(AddBookRequest request, AddBookHandler handler, CancellationToken ct)
    {
        var book = await handler.HandleAsync(new AddBookCommand(request.Title, request.Author, request.Isbn), ct);
        return TypedResults.Created($"/books/{book.Id}", book);
    }

    private static async Task<Results<Ok<BookResponse>, ProblemHttpResult>> GetBookAsync(string id, GetBookHandler handler, CancellationToken ct)
    {
        if (!BookId.TryParse(id, out var bookId))
        {
            return Problems.Validation("id", "id must be a UUID such as 0190f5a4-7c8e-7d3a-9b1e-2f4c6a8e0b1d.");
        }

        var book = await handler.HandleAsync(bookId, ct);
        return book is null ? Problems.NotFound("book.not_found", $"No book with id {bookId}.") : TypedResults.Ok(book);
    }

    private static async Task<Ok<Page<BookResponse>>> ListBooksAsync(
        ListBooksHandler handler,
        string? title,
        string? author,
        string? status,
        int? limit,
        string? cursor,
        CancellationToken ct)
        => TypedResults.Ok(await handler.HandleAsync(new ListBooksQuery(title, author, status, limit, cursor), ct));
}

/// <summary>Body of POST /books. Fields are nullable so that a missing field is a validation error, not a binding error.</summary>
public sealed record AddBookRequest(string? Title, string? Author, string? Isbn);
