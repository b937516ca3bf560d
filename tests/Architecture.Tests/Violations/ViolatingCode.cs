using System.Reflection;
using ArchUnitNET.Loader;
using Library.SharedKernel.Domain;

namespace Library.Architecture.Tests.Violations;

/// <summary>
/// Deliberate violations, loaded apart from the production code, that each rule must report; they prove
/// a rule fails when it is broken instead of passing because it looks at nothing.
/// </summary>
internal static class ViolatingCode
{
    public static readonly ArchUnitNET.Domain.Architecture Architecture = new ArchLoader()
        .LoadNamespacesWithinAssembly(Assembly.GetExecutingAssembly(), typeof(ViolatingCode).Namespace!)
        .LoadNamespacesWithinAssembly(typeof(IDomainEvent).Assembly, typeof(IDomainEvent).Namespace!)
        .Build();
}

internal sealed class ShelfManager;

internal static class IsbnHelper;

internal static class StringUtils;

internal static class DateUtil;

/// <summary>Correctly named: must not be reported.</summary>
internal sealed class LendingPolicy;

/// <summary>Named as a message type rather than as what happened.</summary>
internal sealed record BookLostEvent(DateTimeOffset OccurredAt) : IDomainEvent;

/// <summary>Past tense but open for inheritance.</summary>
internal record BookFound(DateTimeOffset OccurredAt) : IDomainEvent;

/// <summary>Sealed and in the past tense: must not be reported.</summary>
internal sealed record BookShelved(DateTimeOffset OccurredAt) : IDomainEvent;
