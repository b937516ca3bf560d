using Library.Patron.Domain.Accounts;
using Library.Patron.Domain.Patrons;
using Library.Patron.Infrastructure.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Library.Patron.Infrastructure.Persistence;

internal sealed class AccountConfiguration : IEntityTypeConfiguration<Account>
{
    public void Configure(EntityTypeBuilder<Account> account)
    {
        account.ToTable("accounts", table =>
        {
            table.HasCheckConstraint("ck_accounts_role", "role IN ('patron', 'librarian', 'admin')");
            table.HasCheckConstraint("ck_accounts_patron_iff_patron_role", "(role = 'patron') = (patron_id IS NOT NULL)");
            table.HasCheckConstraint("ck_accounts_email_lower", "email = lower(email)");
        });
        account.HasKey(a => a.Id);
        account.Property(a => a.Id).HasConversion(id => id.Value, value => new AccountId(value)).ValueGeneratedNever();
        account.Property(a => a.Email).HasMaxLength(EmailAddress.MaxLength);
        account.Property(a => a.PasswordHash).HasMaxLength(200);
        account.Property(a => a.Role).HasMaxLength(16);
        account.Property(a => a.PatronId).HasConversion(id => id!.Value.Value, value => new PatronId(value));
        account.Property(a => a.FirstName).HasMaxLength(PersonName.MaxLength);
        account.Property(a => a.LastName).HasMaxLength(PersonName.MaxLength);
        account.Property(a => a.Version).IsConcurrencyToken();
        account.Ignore(a => a.DomainEvents);
        account.HasIndex(a => a.Email).IsUnique();
        account.HasIndex(a => a.PatronId).IsUnique();
        account.HasIndex(a => a.Role);
    }
}

internal sealed class RefreshTokenConfiguration : IEntityTypeConfiguration<RefreshToken>
{
    public void Configure(EntityTypeBuilder<RefreshToken> token)
    {
        token.ToTable("refresh_tokens");
        token.HasKey(t => t.TokenHash);
        token.Property(t => t.TokenHash).HasMaxLength(32);
        token.HasIndex(t => t.FamilyId);
        token.HasIndex(t => t.ExpiresAt);
    }
}

internal sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKey>
{
    public void Configure(EntityTypeBuilder<SigningKey> key)
    {
        key.ToTable("signing_keys");
        key.HasKey(k => k.Kid);
        key.Property(k => k.Kid).HasMaxLength(64);
    }
}
