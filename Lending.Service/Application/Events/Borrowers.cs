using Library.Lending.Domain.Borrowers;
using Library.Lending.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

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

    /// <summary>
    /// Everything a reservation's decision reads, in one round trip: the borrower row, locked for the rest of the
    /// transaction (decisions for one patron happen one at a time), the patron's outstanding loans, whether this
    /// operation was decided before, and whether the book is on loan already.
    /// </summary>
    public static async Task<BorrowerDecisionInputs> LockForDecisionAsync(LendingDbContext db, Guid patronId, Guid operationId, Guid bookId, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = """
            SELECT b.patron_id, b.email, b.membership_tier, b.suspended, b.version,
                   (SELECT count(*) FROM lending.loans l WHERE l.patron_id = b.patron_id AND l.status IN ('active', 'overdue'))::int,
                   EXISTS (SELECT 1 FROM lending.loans l WHERE l.operation_id = @operation),
                   EXISTS (SELECT 1 FROM lending.loans l WHERE l.book_id = @book AND l.status IN ('active', 'overdue'))
            FROM lending.borrowers b WHERE b.patron_id = @patron FOR UPDATE OF b
            """;
        command.Parameters.Add(new Npgsql.NpgsqlParameter("patron", patronId));
        command.Parameters.Add(new Npgsql.NpgsqlParameter("operation", operationId));
        command.Parameters.Add(new Npgsql.NpgsqlParameter("book", bookId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException($"No borrower {patronId} after its upsert.");
        }

        return new(
            Borrower.From(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.GetInt32(4)),
            OutstandingLoans: reader.GetInt32(5),
            DecidedBefore: reader.GetBoolean(6),
            BookOnLoan: reader.GetBoolean(7));
    }
}

internal sealed record BorrowerDecisionInputs(Borrower Borrower, int OutstandingLoans, bool DecidedBefore, bool BookOnLoan);
