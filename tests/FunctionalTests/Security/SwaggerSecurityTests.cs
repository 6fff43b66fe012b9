using System.Net;
using System.Text.Json;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests.Security;

/// <summary>Swagger UI with keys on: the UI and the document need no key, the document declares the <c>api-key</c>
/// scheme (and Entra ID's bearer when configured) and requires it on every operation, so that Swagger UI shows
/// Authorize and sends the key. Without keys nothing is declared. (tests/BrowserTests clicks through it in Chromium.)</summary>
public sealed class SwaggerSecurityTests
{
    [Test]
    public async Task WithKeysTheUiAndDocumentShouldBeOpenAndTheDocumentShouldRequireTheKey()
    {
        await using var api = new SecuredApiFactory(SecuredApiFactory.WithKeys());
        using var client = api.CreateClient();

        using var ui = await client.GetAsync("/swagger/index.html");
        using var documentResponse = await client.GetAsync("/swagger/v1/swagger.json");
        using var operation = await client.GetAsync("/completion?query=hi");

        Assert.Multiple(() =>
        {
            Assert.That(ui.StatusCode, Is.EqualTo(HttpStatusCode.OK), "Swagger UI needs no key");
            Assert.That(documentResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the document needs no key");
            Assert.That(operation.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the operations still do");
        });

        var document = await documentResponse.ReadJsonAsync();
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        var apiKey = schemes.GetProperty("ApiKey");
        Assert.Multiple(() =>
        {
            Assert.That(apiKey.GetProperty("type").GetString(), Is.EqualTo("apiKey"));
            Assert.That(apiKey.GetProperty("in").GetString(), Is.EqualTo("header"));
            Assert.That(apiKey.GetProperty("name").GetString(), Is.EqualTo("api-key"));
            Assert.That(schemes.TryGetProperty("EntraId", out _), Is.False, "no bearer scheme without Entra ID");
            foreach (var (name, security) in Operations(document))
            {
                Assert.That(security, Is.EqualTo(new[] { "ApiKey" }), name);
            }
        });
    }

    [Test]
    public async Task WithEntraIdTheBearerSchemeShouldBeTheAlternative()
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["Auth:EntraId:Authority"] = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0";
        settings["Auth:EntraId:Audience"] = "api://wrapper";
        settings["Auth:AllowAnonymousHealth"] = "true";
        await using var api = new SecuredApiFactory(settings);
        using var client = api.CreateClient();

        var document = await (await client.GetAsync("/swagger/v1/swagger.json")).ReadJsonAsync();
        var bearer = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("EntraId");

        Assert.Multiple(() =>
        {
            Assert.That(bearer.GetProperty("type").GetString(), Is.EqualTo("http"));
            Assert.That(bearer.GetProperty("scheme").GetString(), Is.EqualTo("bearer"));
            foreach (var (name, security) in Operations(document))
            {
                Assert.That(security, Is.EqualTo(name == "get /health" ? Array.Empty<string>() : new[] { "ApiKey", "EntraId" }), name);
            }
        });
    }

    [Test]
    public async Task WithoutKeysNothingShouldBeDeclared()
    {
        await using var api = new EmbeddedApiFactory();
        using var client = api.CreateClient();

        var document = await (await client.GetAsync("/swagger/v1/swagger.json")).ReadJsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(document.TryGetProperty("components", out var components) && components.TryGetProperty("securitySchemes", out _), Is.False);
            Assert.That(Operations(document).SelectMany(o => o.Values), Is.Empty);
        });
    }

    [Test]
    public async Task NoExampleShouldCarryAMadeUpThreadId()
    {
        await using var api = new EmbeddedApiFactory();
        using var client = api.CreateClient();

        var text = await client.GetStringAsync("/swagger/v1/swagger.json");
        var question = JsonDocument.Parse(text).RootElement.GetProperty("components").GetProperty("schemas").GetProperty("AgentQuestionRequest");

        var parameterExamples = Operations(JsonDocument.Parse(text).RootElement, op => op.TryGetProperty("parameters", out var parameters)
            ? parameters.EnumerateArray().Where(p => p.TryGetProperty("example", out _)).Select(p => p.GetProperty("name").GetString() + "=" + p.GetProperty("example")).ToArray()
            : []).SelectMany(o => o.Values);

        Assert.Multiple(() =>
        {
            Assert.That(question.GetProperty("example").EnumerateObject().Select(p => $"{p.Name}={p.Value}"), Is.EqualTo(new[] { "query=What happened in finance today?" }));
            Assert.That(question.GetProperty("properties").GetProperty("thread_id").TryGetProperty("example", out _), Is.False);
            Assert.That(question.GetProperty("properties").GetProperty("keep_thread").TryGetProperty("example", out _), Is.False);
            Assert.That(parameterExamples, Has.None.StartsWith("thread_id="));
            Assert.That(parameterExamples, Does.Contain("name=bing-grounding"), "POST /agents/{name} needs a name to be sent at all");
        });
    }

    /// <summary>Each operation ("get /health") with the schemes of its security requirements, in order.</summary>
    private static IEnumerable<(string Name, string[] Values)> Operations(JsonElement document) =>
        Operations(document, op => op.TryGetProperty("security", out var security)
            ? security.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(s => s.Name)).ToArray()
            : []);

    private static IEnumerable<(string Name, string[] Values)> Operations(JsonElement document, Func<JsonElement, string[]> read) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject().Select(op => ($"{op.Name} {path.Name}", read(op.Value))));
}
