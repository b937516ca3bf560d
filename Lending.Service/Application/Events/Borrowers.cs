using Library.Lending.Domain.Borrowers;
using Library.Lending.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Library.Lending.Application.Events;

internal static class Borrowers
{
    /// <summary>Inserts the borrower or applies a newer version of them; an older version changes nothing.</summary>
    public static Task<int> UpsertAsync(LendingDbContext db, Guid patronId, string email, string tier, bool suspended, int version, CancellationToken cancellationToken)
        => db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO lending.borrowers (patron_id, email, membership_tier, suspended, version)
            VALUES ({patronId}, {email}, {tier}, {suspended}, {version})
            ON CONFLICT (patron_id) DO UPDATE
              SET email = excluded.email, membership_tier = excluded.membership_tier, suspended = excluded.suspended, version = excluded.version
              WHERE borrowers.version < excluded.version
            """,
            cancellationToken);

    /// <summary>The borrower row, locked for the rest of the transaction: decisions for one patron happen one at a time.</summary>
    public static Task<Borrower> LockAsync(LendingDbContext db, Guid patronId, CancellationToken cancellationToken)
        => db.Borrowers.FromSqlInterpolated($"SELECT * FROM lending.borrowers WHERE patron_id = {patronId} FOR UPDATE").SingleAsync(cancellationToken);
}
