namespace Library.SharedKernel.Domain;

/// <summary>A named business rule with a stable error code that the API maps to a problem response.</summary>
public interface IBusinessRule
{
    /// <summary>A stable, dotted code such as <c>book.unavailable</c>; part of the public wire contract.</summary>
    string Code { get; }

    string Message { get; }

    ErrorKind Kind { get; }

    bool IsBroken();
}

/// <summary>How a broken rule is classified, so the API can choose a status code without knowing the rule.</summary>
public enum ErrorKind
{
    /// <summary>The request conflicts with the current state (409).</summary>
    Conflict,

    /// <summary>The caller is not allowed or not eligible (403).</summary>
    Forbidden,

    /// <summary>The input is not acceptable (400).</summary>
    Validation,

    /// <summary>The thing does not exist (404).</summary>
    NotFound,

    /// <summary>The caller could not be authenticated (401).</summary>
    Unauthenticated,
}

public sealed class BusinessRuleViolationException(IBusinessRule rule) : Exception(rule.Message)
{
    public IBusinessRule Rule { get; } = rule;
}

/// <summary>A domain error that is not tied to a rule object, e.g. a missing aggregate.</summary>
public sealed record DomainError(string Code, string Message, ErrorKind Kind);

public sealed class DomainErrorException(DomainError error) : Exception(error.Message)
{
    public DomainError Error { get; } = error;
}
