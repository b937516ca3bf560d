using Microsoft.IdentityModel.Tokens;

namespace Library.SharedKernel.Security;

/// <summary>The public keys access tokens are checked against.</summary>
public interface ISigningKeyStore
{
    /// <summary>
    /// The current keys. When <paramref name="kid"/> is not among them the store may look again (a key was
    /// rotated in), so a new key is accepted on its first use without a restart.
    /// </summary>
    ValueTask<IReadOnlyCollection<SecurityKey>> GetKeysAsync(string? kid, CancellationToken cancellationToken);
}
