namespace Library.Catalog.Domain.Books;

/// <summary>available → reserved → borrowed → available; reserved → available on release.</summary>
public enum BookStatus
{
    Available,
    Reserved,
    Borrowed,
}
