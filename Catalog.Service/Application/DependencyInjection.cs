using Library.Catalog.Application.Books.AddBook;
using Library.Catalog.Application.Books.GetBook;
using Library.Catalog.Application.Books.ListBooks;

namespace Library.Catalog.Application;

public static class DependencyInjection
{
    public static IServiceCollection AddCatalogApplication(this IServiceCollection services)
    {
        services.AddScoped<AddBookHandler>();
        services.AddScoped<GetBookHandler>();
        services.AddScoped<ListBooksHandler>();
        return services;
    }
}
