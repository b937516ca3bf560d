using Library.Patron.Domain.Patrons;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Library.Patron.Infrastructure.Persistence;

internal sealed class PatronConfiguration : IEntityTypeConfiguration<Domain.Patrons.Patron>
{
    public void Configure(EntityTypeBuilder<Domain.Patrons.Patron> patron)
    {
        patron.ToTable("patrons", table =>
        {
            table.HasCheckConstraint("ck_patrons_tier", "membership_tier IN ('regular', 'premium', 'researcher')");
            table.HasCheckConstraint("ck_patrons_reason_iff_suspended", "suspended = (suspended_reason IS NOT NULL)");
            table.HasCheckConstraint("ck_patrons_email_lower", "email = lower(email)");
        });
        patron.HasKey(p => p.Id);
        patron.Property(p => p.Id).HasConversion(id => id.Value, value => new PatronId(value)).ValueGeneratedNever();
        patron.Property(p => p.FirstName).HasMaxLength(PersonName.MaxLength);
        patron.Property(p => p.LastName).HasMaxLength(PersonName.MaxLength);
        patron.Property(p => p.Email).HasMaxLength(EmailAddress.MaxLength);
        patron.Property(p => p.MembershipTier)
            .HasConversion(t => t.ToWire(), s => Enum.Parse<MembershipTier>(s, true))
            .HasMaxLength(16);
        patron.Property(p => p.SuspendedReason).HasMaxLength(SuspensionReason.MaxLength);
        patron.Property(p => p.Version).IsConcurrencyToken();
        patron.Ignore(p => p.DomainEvents);

        // SPEC §2: e-mail is unique; the index is the guarantee under concurrency, the use case only gives the nice error.
        patron.HasIndex(p => p.Email).IsUnique();
        patron.HasIndex(p => new { p.MembershipTier, p.Id });
    }
}
