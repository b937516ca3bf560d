using Microsoft.EntityFrameworkCore;

namespace Library.SharedKernel.Idempotency;

/// <summary>
/// The stored outcome of a POST made with an Idempotency-Key, keyed by (principal, method, route template, key).
/// Written in the same transaction as the state change it describes, so a crash can never leave a change
/// without its receipt or a receipt without its change.
/// </summary>
public sealed class IdempotencyReceipt
{
    public required string Principal { get; init; }

    public required string Method { get; init; }

    public required string Route { get; init; }

    public required string Key { get; init; }

    public required byte[] RequestHash { get; init; }

    public int? StatusCode { get; init; }

    public string? ContentType { get; init; }

    public string? Location { get; init; }

    public byte[]? Body { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

public static class IdempotencyModelBuilderExtensions
{
    /// <summary>Maps the receipts table into the calling context's schema.</summary>
    public static ModelBuilder AddIdempotencyReceipts(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<IdempotencyReceipt>(receipt =>
        {
            receipt.ToTable("idempotency_receipts");
            receipt.HasKey(r => new { r.Principal, r.Method, r.Route, r.Key });
            receipt.Property(r => r.Principal).HasMaxLength(200);
            receipt.Property(r => r.Method).HasMaxLength(10);
            receipt.Property(r => r.Route).HasMaxLength(200);
            receipt.Property(r => r.Key).HasMaxLength(128);
            receipt.Property(r => r.ContentType).HasMaxLength(200);
            receipt.Property(r => r.Location).HasMaxLength(500);
            receipt.HasIndex(r => r.CreatedAt);
        });
        return modelBuilder;
    }
}
