using System.Text.Json.Nodes;
using Library.Gateway.Security;
using Yarp.ReverseProxy.Configuration;

namespace Library.Gateway.Tests;

/// <summary>A route that does not say who may call it, or which methods it serves, fails the configuration load.</summary>
public sealed class RoutePolicyFilterTests
{
    private readonly RoutePolicyFilter _filter = new();

    [Fact]
    public async Task ARouteWithAPolicyAndMethods_Loads()
    {
        var route = Route(policy: "librarian", methods: ["POST"]);
        (await _filter.ConfigureRouteAsync(route, null, CancellationToken.None)).ShouldBe(route);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public async Task ARouteWithoutAPolicy_FailsTheLoad(string? policy)
        => (await Should.ThrowAsync<InvalidOperationException>(() => _filter.ConfigureRouteAsync(Route(policy, ["GET"]), null, CancellationToken.None).AsTask()))
            .Message.ShouldContain("AuthorizationPolicy");

    [Fact]
    public async Task ARouteForEveryMethod_FailsTheLoad()
        => await Should.ThrowAsync<InvalidOperationException>(() => _filter.ConfigureRouteAsync(Route("anonymous", null), null, CancellationToken.None).AsTask());

    [Fact]
    public void TheGatewaysOwnRouteTable_NamesAPolicyAndMethodsOnEveryRoute()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "gateway-routes.json")))!;
        var routes = config["ReverseProxy"]!["Routes"]!.AsObject();
        routes.Count.ShouldBeGreaterThan(20);
        foreach (var (id, route) in routes)
        {
            route!["AuthorizationPolicy"]!.GetValue<string>().ShouldBeOneOf(["anonymous", "member", "librarian", "admin"], id);
            route["Match"]!["Methods"]!.AsArray().Count.ShouldBe(1, id);
        }
    }

    private static RouteConfig Route(string? policy, IReadOnlyList<string>? methods) => new()
    {
        RouteId = "test",
        ClusterId = "catalog",
        AuthorizationPolicy = policy,
        Match = new RouteMatch { Path = "/test", Methods = methods },
    };
}
