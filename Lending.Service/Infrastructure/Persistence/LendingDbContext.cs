using Library.Lending.Domain.Borrowers;
using Library.Lending.Domain.Loans;
using Library.Lending.Infrastructure.Notifications;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Messaging;
using Library.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;
using Contracts = Library.SharedKernel.Contracts.Lending;

namespace Library.Lending.Infrastructure.Persistence;

/// <summary>The Lending context's unit of work, on its own schema and role (SPEC §2).</summary>
public sealed class LendingDbContext(DbContextOptions<LendingDbContext> options) : LibraryDbContext(options)
{
    public const string SchemaName = "lending";

    public override string Schema => SchemaName;

    public DbSet<Loan> Loans => Set<Loan>();

    public DbSet<Borrower> Borrowers => Set<Borrower>();

    public DbSet<OutgoingMail> OutgoingMails => Set<OutgoingMail>();

    public static void ConfigureNpgsql(NpgsqlDbContextOptionsBuilder npgsql)
        => npgsql.MigrationsHistoryTable("__ef_migrations_history", SchemaName);

    protected override IIntegrationEvent? ToIntegrationEvent(IDomainEvent domainEvent) => domainEvent switch
    {
        LoanCreated e => new Contracts.LoanCreated(e.LoanId.Value, e.OperationId, e.BookId, e.PatronId, e.BorrowedAt, e.DueDate),
        LoanExtended e => new Contracts.LoanExtended(e.LoanId.Value, e.PatronId, e.DueDate, e.Extensions),
        LoanReturned e => new Contracts.LoanReturned(e.LoanId.Value, e.OperationId, e.BookId, e.PatronId, e.ReturnedAt, e.WasOverdue),
        LoanBecameOverdue e => new Contracts.LoanOverdue(e.LoanId.Value, e.BookId, e.PatronId, e.DueDate),
        LoanCancelled e => new Contracts.LoanCancelled(e.LoanId.Value, e.OperationId, e.BookId, e.PatronId, e.Reason),
        _ => null,
    };

    /// <summary>The mails a loan's events owe its patron, written with the change (SPEC §6: each sent once per event).</summary>
    protected override void OnDomainEvent(IHasDomainEvents aggregate, IDomainEvent domainEvent)
    {
        if (aggregate is not Loan loan)
        {
            return;
        }

        var mail = domainEvent switch
        {
            LoanCreated e => LoanMails.Confirmation(loan, e.OccurredAt),
            LoanReturned e => LoanMails.ReturnReceipt(loan, e.OccurredAt),
            LoanBecameOverdue e => LoanMails.Overdue(loan, e.OccurredAt),
            _ => null,
        };
        if (mail is not null)
        {
            OutgoingMails.Add(mail);
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<OutgoingMail>(mail =>
        {
            mail.ToTable("outgoing_mails", table => table.HasCheckConstraint("ck_outgoing_mails_status", "status IN ('pending', 'sent', 'parked')"));
            mail.HasKey(m => m.Id);
            mail.Property(m => m.Key).HasMaxLength(OutgoingMail.MaxKeyLength);
            mail.Property(m => m.To).HasMaxLength(254);
            mail.Property(m => m.Subject).HasMaxLength(200);
            mail.Property(m => m.LastError).HasMaxLength(2000);
            mail.Property(m => m.TraceParent).HasMaxLength(100);
            mail.Property(m => m.ClaimId).IsConcurrencyToken();
            mail.Property(m => m.Status).HasConversion(s => s.ToString().ToLowerInvariant(), s => Enum.Parse<MailStatus>(s, true)).HasMaxLength(16);
            mail.HasIndex(m => m.Key).IsUnique();
            mail.HasIndex(m => m.NextAttemptAt).HasFilter("status = 'pending'").HasDatabaseName("ix_outgoing_mails_due");
        });
        modelBuilder.Entity<Loan>(loan =>
        {
            loan.ToTable("loans", table =>
            {
                table.HasCheckConstraint("ck_loans_status", "status IN ('active', 'overdue', 'returned', 'cancelled')");
                table.HasCheckConstraint("ck_loans_returned_at", "(status = 'returned') = (returned_at IS NOT NULL)");
                table.HasCheckConstraint("ck_loans_extensions", "extensions >= 0");
            });
            loan.HasKey(l => l.Id);
            loan.Property(l => l.Id).HasConversion(id => id.Value, value => new LoanId(value)).ValueGeneratedNever();
            loan.Property(l => l.Status).HasConversion(s => s.ToString().ToLowerInvariant(), s => Enum.Parse<LoanStatus>(s, true)).HasMaxLength(16);
            loan.Property(l => l.PatronEmail).HasMaxLength(254);
            loan.Property(l => l.BookTitle).HasMaxLength(200);
            loan.Property(l => l.Version).IsConcurrencyToken();
            loan.Ignore(l => l.DomainEvents);
            loan.Ignore(l => l.IsOutstanding);

            // SPEC §2: a book has at most one outstanding loan; one loan per borrow operation.
            loan.HasIndex(l => l.BookId).IsUnique().HasFilter("status IN ('active', 'overdue')").HasDatabaseName("ux_loans_one_outstanding_per_book");
            loan.HasIndex(l => l.OperationId).IsUnique();
            loan.HasIndex(l => new { l.PatronId, l.Status });
            loan.HasIndex(l => l.DueDate).HasFilter("status = 'active'");
        });
        modelBuilder.Entity<Borrower>(borrower =>
        {
            borrower.ToTable("borrowers");
            borrower.HasKey(b => b.PatronId);
            borrower.Property(b => b.PatronId).ValueGeneratedNever();
            borrower.Property(b => b.Email).HasMaxLength(254);
            borrower.Property(b => b.MembershipTier).HasMaxLength(16);
        });
    }
}

/// <summary>Lets `dotnet ef migrations add` build the model without a database or the web host.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<LendingDbContext>
{
    public LendingDbContext CreateDbContext(string[] args)
        => new(new DbContextOptionsBuilder<LendingDbContext>()
            .UseNpgsql("Host=localhost;Database=lendingdb", LendingDbContext.ConfigureNpgsql)
            .UseSnakeCaseNamingConvention()
            .Options);
}
