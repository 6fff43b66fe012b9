using PuppeteerSharp;

namespace Wrapper.BrowserTests;

/// <summary>
/// Swagger UI in a real browser (headless Chromium from the Debian package), on the API with its embedded simulator
/// served by Kestrel on 127.0.0.1: on every operation of the document, "Try it out" then "Execute" with the examples
/// as they are must answer 200 at the first click; with client keys on, after entering the key under "Authorize".
/// </summary>
public sealed class SwaggerUiTests
{
    /// <summary>Where the Debian package puts Chromium; .ci/run installs it. Never downloaded by the tests.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private const string ClientKey = "browser-tests-client-key-0123456789abcdef";

    private static readonly string[] ChromiumArguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    /// <summary>The operations of the document (none is left out: a new one is tried too).</summary>
    private static readonly string[] ExpectedOperations =
    [
        "GET /health", "GET /completion", "POST /chat", "POST /bing-grounding", "POST /agents/{name}",
    ];

    private IBrowser? _browser;

    /// <summary>One browser for both cases (each gets its own page and API).</summary>
    [OneTimeSetUp]
    public async Task LaunchBrowser()
    {
        // Missing Chromium fails the tests (CI must install it), it does not skip them.
        Assert.That(File.Exists(ChromiumPath), Is.True, $"{ChromiumPath} is missing: apt-get update && apt-get install -y chromium (.ci/run does it).");
        _browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArguments,
            Timeout = 60_000,
        });
    }

    [OneTimeTearDown]
    public async Task CloseBrowser()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
    }

    [TestCase(false, TestName = "Every operation answers 200 at the first Try it out, keys off")]
    [TestCase(true, TestName = "Every operation answers 200 at the first Try it out after Authorize, keys on")]
    public async Task EveryOperationShouldAnswer200AtTheFirstTryItOut(bool keys)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var api = new SwaggerApiFactory(keys ? ClientKey : null);
        await using var page = await _browser!.NewPageAsync();
        page.DefaultTimeout = 30_000;

        var swagger = new Uri(api.BaseAddress, "swagger/index.html");
        var loaded = await page.GoToAsync(swagger.ToString());
        Assert.That(loaded?.Status, Is.EqualTo(System.Net.HttpStatusCode.OK), "the UI itself needs no key");
        await page.WaitForSelectorAsync(".opblock");
        TestContext.Progress.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] API started, Swagger UI loaded");

        var hasAuthorize = await page.QuerySelectorAsync(".auth-wrapper .authorize") is not null;
        Assert.That(hasAuthorize, Is.EqualTo(keys), "Authorize is shown exactly when keys are configured");
        if (keys)
        {
            await AuthorizeAsync(page, ClientKey);
        }

        var operations = await page.EvaluateExpressionAsync<Operation[]>(
            "Array.from(document.querySelectorAll('.opblock')).map(e => ({ id: e.id, " +
            "method: e.querySelector('.opblock-summary-method').textContent.trim(), " +
            "path: e.querySelector('.opblock-summary-path').getAttribute('data-path') }))");
        Assert.That(operations.Select(o => $"{o.Method} {o.Path}"), Is.SupersetOf(ExpectedOperations));

        var results = new List<string>();
        foreach (var operation in operations)
        {
            try
            {
                var (status, body) = await TryItOutAsync(page, operation.Id);
                results.Add($"{operation.Method} {operation.Path} -> {status} {(status == "200" ? string.Empty : body)}");
                TestContext.Progress.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] {operation.Method} {operation.Path}: {status}");
            }
            catch (WaitTaskTimeoutException ex)
            {
                // E.g. a required parameter without an example: Swagger UI refuses to send the request at all.
                results.Add($"{operation.Method} {operation.Path} -> no response shown: {ex.Message}");
                await page.ReloadAsync();
                await page.WaitForSelectorAsync(".opblock");
                if (keys)
                {
                    await AuthorizeAsync(page, ClientKey);
                }
            }
        }

        Assert.That(results, Has.All.Match(@" -> 200 $"), string.Join(Environment.NewLine, results));
    }

    /// <summary>Clicks Authorize, enters the key for the <c>api-key</c> scheme, confirms and closes the dialog.</summary>
    private static async Task AuthorizeAsync(IPage page, string key)
    {
        await page.ClickAsync(".auth-wrapper .authorize");
        await page.WaitForSelectorAsync(".modal-ux .auth-container input");
        await page.TypeAsync(".modal-ux .auth-container input", key);
        await page.ClickAsync(".modal-ux .auth-btn-wrapper .authorize");
        await page.WaitForSelectorAsync(".modal-ux .auth-btn-wrapper .btn-done");
        await page.ClickAsync(".modal-ux .auth-btn-wrapper .btn-done");
        await page.WaitForSelectorAsync(".modal-ux", new WaitForSelectorOptions { Hidden = true });
    }

    /// <summary>Opens the operation, clicks "Try it out" then "Execute", and returns the status and body shown.</summary>
    private static async Task<(string Status, string Body)> TryItOutAsync(IPage page, string id)
    {
        var block = $"#{id}";
        await page.ClickAsync($"{block} .opblock-summary-control");
        await page.WaitForSelectorAsync($"{block} .try-out__btn");
        await page.ClickAsync($"{block} .try-out__btn");
        await page.WaitForSelectorAsync($"{block} .btn.execute");
        await page.ClickAsync($"{block} .btn.execute");
        var status = await page.WaitForFunctionAsync(
            $"() => {{ const c = document.querySelector('{block} .live-responses-table tbody .response-col_status'); return c && c.textContent.trim(); }}");
        var text = (await status.JsonValueAsync<string>()).Trim();
        var body = await page.EvaluateExpressionAsync<string>(
            $"(document.querySelector('{block} .live-responses-table tbody .response-col_description pre') || {{ textContent: '' }}).textContent");
        // Closed again, so that the next operation's selectors never match this one's elements.
        await page.ClickAsync($"{block} .opblock-summary-control");
        return (text.Split(' ', '\n')[0], body);
    }

    private sealed record Operation(string Id, string Method, string Path);
}
