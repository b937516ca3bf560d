using System.Security.Claims;

namespace Library.SharedKernel.Security;

/// <summary>The roles of SPEC §5. A librarian may do what staff do; an admin also manages staff.</summary>
public static class LibraryRoles
{
    public const string Patron = "patron";
    public const string Librarian = "librarian";
    public const string Admin = "admin";

    public static bool IsKnown(string? role) => role is Patron or Librarian or Admin;
}

/// <summary>Claim names of a Library access token (SPEC §5), exactly as they travel in the JWT.</summary>
public static class LibraryClaims
{
    public const string Subject = "sub";
    public const string Roles = "roles";
    public const string PatronId = "patron_id";
    public const string TokenId = "jti";
    public const string SessionId = "sid";
}

/// <summary>Authorization policies shared by the Gateway's route table and every service's endpoints.</summary>
public static class LibraryPolicies
{
    /// <summary>YARP's reserved name for a route that anyone may call.</summary>
    public const string Anonymous = "anonymous";

    /// <summary>Any signed-in principal; ownership is then checked by the service that owns the record.</summary>
    public const string Member = "member";

    public const string Librarian = "librarian";

    public const string Admin = "admin";
}

public static class PrincipalExtensions
{
    /// <summary>Staff (librarians and admins) act on every record; a patron only on their own.</summary>
    public static bool IsStaff(this ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.HasClaim(LibraryClaims.Roles, LibraryRoles.Librarian) || principal.HasClaim(LibraryClaims.Roles, LibraryRoles.Admin);
    }

    /// <summary>The patron this principal is, or null for staff and anonymous callers.</summary>
    public static Guid? PatronId(this ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return Guid.TryParse(principal.FindFirst(LibraryClaims.PatronId)?.Value, out var id) ? id : null;
    }

    /// <summary>True for staff, and for the patron the record belongs to.</summary>
    public static bool MayActFor(this ClaimsPrincipal principal, Guid patronId)
        => principal.IsStaff() || principal.PatronId() == patronId;
}
