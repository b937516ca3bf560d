using Library.Catalog.Domain.Books;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Library.Catalog.Infrastructure.Persistence;

internal sealed class BookConfiguration : IEntityTypeConfiguration<Book>
{
    public void Configure(EntityTypeBuilder<Book> book)
    {
        book.ToTable("books", table =>
        {
            table.HasCheckConstraint("ck_books_status", "status IN ('available', 'reserved', 'borrowed')");

            // The database keeps the lock honest even if a bug slipped past the aggregate:
            // a book is held by an operation exactly when it is not available.
            table.HasCheckConstraint("ck_books_held_iff_not_available", "(status = 'available') = (held_by IS NULL)");
            table.HasCheckConstraint("ck_books_title_length", "char_length(title) BETWEEN 1 AND 200");
            table.HasCheckConstraint("ck_books_author_length", "char_length(author) BETWEEN 1 AND 200");
        });
        book.HasKey(b => b.Id);
        book.Property(b => b.Id).HasConversion(id => id.Value, value => new BookId(value)).ValueGeneratedNever();
        book.Property(b => b.Title).HasMaxLength(BookTitle.MaxLength).IsRequired();
        book.Property(b => b.Author).HasMaxLength(Author.MaxLength).IsRequired();
        book.Property(b => b.Isbn).HasMaxLength(13);
        book.Property(b => b.Status)
            .HasConversion(s => s.ToString().ToLowerInvariant(), s => Enum.Parse<BookStatus>(s, true))
            .HasMaxLength(16);
        book.Property(b => b.Version).IsConcurrencyToken();
        book.Ignore(b => b.DomainEvents);

        // Case-insensitive substring search on title and author (SPEC §4) uses trigram indexes.
        book.HasIndex(b => b.Title).HasMethod("gin").HasOperators("gin_trgm_ops");
        book.HasIndex(b => b.Author).HasMethod("gin").HasOperators("gin_trgm_ops");
        book.HasIndex(b => new { b.Status, b.Id });
    }
}
