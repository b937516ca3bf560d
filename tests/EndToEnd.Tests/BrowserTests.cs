using System.Net;
using Library.SharedKernel.Resources;
using Library.Testing;
using Microsoft.Playwright;

namespace Library.EndToEnd.Tests;

/// <summary>
/// What a person sees in a real browser (Debian's Chromium, headless, driven by Playwright): the API reference at
/// the Gateway's /docs and the mail capture's page.
/// </summary>
public sealed class BrowserTests(LibrarySystem system) : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async ValueTask InitializeAsync()
    {
        // Bounded: on a fresh machine this is the driver's first start, and nothing here may hang the test run.
        _playwright = await Playwright.CreateAsync().WaitAsync(TimeSpan.FromMinutes(1));

        // Playwright's own browser download cannot reach the internet here: Debian's chromium is the browser.
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Timeout = 60_000,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_browser is not null)
            {
                await _browser.CloseAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
        catch (TimeoutException)
        {
        }

        _playwright?.Dispose();

        // The driver and its Chromium are this test host's children: none may outlive the class.
        foreach (var pid in ResourceControl.ProcessTree(Environment.ProcessId).Skip(1).Where(IsBrowserProcess))
        {
            ResourceControl.KillTree(pid);
        }
    }

    private static bool IsBrowserProcess(int pid)
    {
        try
        {
            var command = File.ReadAllText($"/proc/{pid}/cmdline");
            return command.Contains("chromium", StringComparison.Ordinal) || command.Contains("playwright", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [Fact]
    public async Task ApiReference_AtDocs_ShowsEveryGatewayRouteOfEachService_InThatServicesDocument()
    {
        var routes = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "gateway-routes.json")))!["ReverseProxy"]!["Routes"]!.AsObject()
            .Select(r => (Cluster: r.Value!["ClusterId"]!.GetValue<string>(), Path: r.Value!["Match"]!["Path"]!.GetValue<string>(), Methods: r.Value!["Match"]!["Methods"]!.AsArray().Select(m => m!.GetValue<string>()).ToList()))
            .Where(r => !r.Path.StartsWith("/openapi/", StringComparison.Ordinal))
            .ToList();
        var page = await _browser!.NewPageAsync();
        await page.GotoAsync(new Uri(system.GatewayAddress, "/docs/").ToString());
        foreach (var (service, title) in new[] { ("catalog", "Catalog"), ("patron", "Patron"), ("lending", "Lending") })
        {
            // The document selector, as a person would use it.
            if (service != "catalog")
            {
                await page.GetByRole(AriaRole.Button, new() { Name = "Catalog API" }).Or(page.GetByRole(AriaRole.Button, new() { Name = "Patron API" })).First.ClickAsync();
                await page.GetByRole(AriaRole.Option, new() { Name = $"{title} API" }).Or(page.GetByRole(AriaRole.Menuitem, new() { Name = $"{title} API" })).First.ClickAsync();
            }

            await page.GetByRole(AriaRole.Heading, new() { Name = $"{title}.Service | v1" }).WaitForAsync(new() { Timeout = 30_000 });
            var text = await page.InnerTextAsync("main, body");
            foreach (var route in routes.Where(r => r.Cluster == service))
            {
                text.ShouldContain(route.Path, Case.Sensitive, $"the {title} API reference shows {string.Join('/', route.Methods)} {route.Path}");
            }
        }
    }

    [Fact]
    public async Task MailCapturePage_ShowsABorrowsConfirmation_WithTheTitleEscaped()
    {
        using var patron = await system.NewPatronAsync();
        var title = $"<b>{Json.Unique("Rendered")}</b>";
        var book = (await system.Gateway.AddBookAsync(title))["id"]!.GetValue<string>();
        (await system.Gateway.BorrowAndWaitAsync(book, patron.PatronId.ToString()!, "borrowed"))["status"]!.GetValue<string>().ShouldBe("borrowed");
        var mail = system.App.GetEndpoint(ResourceNames.Mail);
        using var http = new HttpClient { BaseAddress = mail };
        await Poll.UntilAsync(async () => (await http.GetStringAsync(new Uri($"/messages?to={WebUtility.UrlEncode(patron.Email)}", UriKind.Relative))).Contains("subject", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the confirmation to be captured");

        var page = await _browser!.NewPageAsync();
        await page.GotoAsync(mail.ToString());
        var section = page.Locator("section").Filter(new() { HasText = patron.Email });
        await section.WaitForAsync();

        // The subject and body show the title as the characters it has: markup in a title is text, never markup.
        (await section.Locator("h2").InnerTextAsync()).ShouldBe($"You borrowed \"{title}\"");
        (await section.InnerTextAsync()).ShouldContain($"You borrowed \"{title}\". Please return it by");
        (await section.Locator("b").CountAsync()).ShouldBe(0, "the title's <b> is escaped, not rendered");
        (await page.TitleAsync()).ShouldBe("Captured mail");
    }
}
