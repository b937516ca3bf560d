using ArchUnitNET.Domain;
using ArchUnitNET.Domain.Extensions;
using ArchUnitNET.Fluent;
using Library.SharedKernel.Domain;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace Library.Architecture.Tests;

/// <summary>
/// The rules, defined once, so that each test can also prove its rule against code that breaks it
/// (production code that legitimately crosses the line, or the deliberate violations in <c>Violations</c>).
/// ArchUnitNET fails a rule whose selection is empty, so a rule cannot pass by examining nothing.
/// </summary>
internal static class ArchitectureRules
{
    /// <summary>Frameworks the domain must not know: persistence, web, messaging, caching and hosting.</summary>
    public const string InfrastructureFrameworks =
        @"^(Microsoft\.EntityFrameworkCore|Microsoft\.AspNetCore|Npgsql|RabbitMQ|StackExchange\.Redis|Microsoft\.Extensions).*$";

    /// <summary>Suffixes that name a grab bag instead of a thing (STYLE.md: names say what things are).</summary>
    public const string BannedTypeNameSuffixes = @"(Manager|Helper|Helpers|Utils|Util)(`\d+)?$";

    public static IArchRule DoesNotDependOnInfrastructureFrameworks(string layerNamespace)
        => Types().That().ResideInNamespaceOrBelow(layerNamespace)
            .Should().NotDependOnAnyTypesThat().ResideInNamespaceMatching(InfrastructureFrameworks)
            .Because("the domain is pure C#");

    public static IArchRule DoesNotDependOnLayer(string layerNamespace, string forbiddenNamespace)
        => Types().That().ResideInNamespaceOrBelow(layerNamespace)
            .Should().NotDependOnAnyTypesThat().ResideInNamespaceOrBelow(forbiddenNamespace)
            .Because("dependencies point inwards: Api → Application → Domain");

    public static IArchRule TypesAreNotNamedWithBannedSuffixes()
        => Types()
            .Should().NotHaveNameMatching(BannedTypeNameSuffixes)
            .Because("a name says what a thing is, not that it is a grab bag");

    public static IArchRule HandlersHavePublicHandleAsync(string applicationNamespace)
        => Classes().That().ResideInNamespaceOrBelow(applicationNamespace).And().HaveNameEndingWith("Handler")
            .Should().FollowCustomCondition(
                handler => handler.GetMethodMembers().Any(m => m.Visibility == Visibility.Public && IsHandleAsync(m)),
                "have a public method HandleAsync",
                "has no public method HandleAsync")
            .Because("a use case is a plain class with a HandleAsync");

    public static IArchRule DomainEventsAreSealedAndNamedInThePastTense()
        => Classes().That().ImplementInterface(typeof(IDomainEvent))
            .Should().BeSealed()
            .AndShould().NotHaveNameEndingWith("Event")
            .Because("a domain event is an immutable fact named in the past tense (BookReserved, not BookReserveEvent)");

    /// <summary>The full names of the types a rule reports, so a test can show that the rule catches a violation.</summary>
    public static IReadOnlyList<string> Violators(this IArchRule rule, ArchUnitNET.Domain.Architecture architecture)
        => [.. rule.Evaluate(architecture)
            .Where(result => !result.Passed)
            .Select(result => result.EvaluatedObject is IType type ? type.FullName : result.Description)
            .Distinct()
            .Order(StringComparer.Ordinal)];

    private static bool IsHandleAsync(MethodMember method)
        => method.Name == "HandleAsync" || method.Name.StartsWith("HandleAsync(", StringComparison.Ordinal);
}
