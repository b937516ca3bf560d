using Library.Patron.Domain.Accounts;
using Library.Patron.Domain.Patrons;
using Library.Patron.Infrastructure.Security;
using Library.SharedKernel.Domain;
using Library.SharedKernel.Messaging;
using Library.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Contracts = Library.SharedKernel.Contracts.Patron;

namespace Library.Patron.Infrastructure.Persistence;

/// <summary>The Patron context's unit of work, on its own schema and role (SPEC §2).</summary>
public sealed class PatronDbContext(DbContextOptions<PatronDbContext> options) : LibraryDbContext(options)
{
    public const string SchemaName = "patron";

    public override string Schema => SchemaName;

    public DbSet<Domain.Patrons.Patron> Patrons => Set<Domain.Patrons.Patron>();

    public DbSet<Account> Accounts => Set<Account>();

    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();

    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();

    public DbSet<PendingRevocation> PendingRevocations => Set<PendingRevocation>();

    /// <summary>Every change of a patron is published, carrying the state borrowers are judged by.</summary>
    protected override IIntegrationEvent? ToIntegrationEvent(IDomainEvent domainEvent) => domainEvent switch
    {
        PatronRegistered e => new Contracts.PatronRegistered(e.PatronId.Value, e.Email, e.FirstName, e.LastName, e.Tier.ToWire(), false, e.Version, e.OccurredAt),
        PatronSuspended e => new Contracts.PatronSuspended(e.PatronId.Value, e.Email, e.Tier.ToWire(), e.Reason, e.Version),
        PatronReinstated e => new Contracts.PatronReinstated(e.PatronId.Value, e.Email, e.Tier.ToWire(), e.Version),
        PatronTierUpgraded e => new Contracts.PatronTierUpgraded(e.PatronId.Value, e.Email, e.Tier.ToWire(), e.Suspended, e.Version),
        _ => null,
    };

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfiguration(new PatronConfiguration());
        modelBuilder.ApplyConfiguration(new AccountConfiguration());
        modelBuilder.ApplyConfiguration(new RefreshTokenConfiguration());
        modelBuilder.ApplyConfiguration(new SigningKeyConfiguration());
        modelBuilder.Entity<PendingRevocation>(revocation =>
        {
            revocation.ToTable("pending_revocations");
            revocation.HasKey(r => r.Entry);
            revocation.Property(r => r.Entry).HasMaxLength(200);
        });
    }
}
