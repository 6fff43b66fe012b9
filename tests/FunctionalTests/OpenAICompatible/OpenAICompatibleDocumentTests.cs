using System.Net;
using System.Text.Json;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests.OpenAICompatible;

/// <summary>The OpenAI-compatible routes have their own OpenAPI document (<c>/swagger/openai/swagger.json</c>), listed in
/// Swagger UI, and stay out of the main one.</summary>
[TestFixture]
public sealed class OpenAICompatibleDocumentTests
{
    [Test]
    public async Task TheOpenAIDocumentDescribesTheRoutesAndTheMainOneDoesNot()
    {
        await using var factory = new EmbeddedApiFactory();
        using var client = factory.CreateClient();

        using var openai = await client.GetAsync("/swagger/openai/swagger.json");
        var document = await openai.ReadJsonAsync();
        using var main = await client.GetAsync("/swagger/v1/swagger.json");
        var mainPaths = (await main.ReadJsonAsync()).GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        using var ui = await client.GetAsync("/swagger/index.js");
        var uiScript = await ui.Content.ReadAsStringAsync();

        var paths = document.GetProperty("paths");
        var create = paths.GetProperty("/openai/v1/chat/completions").GetProperty("post");
        Assert.Multiple(() =>
        {
            Assert.That(openai.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(paths.EnumerateObject().Select(p => p.Name), Is.SupersetOf(new[]
            {
                "/openai/v1/chat/completions", "/openai/deployments/{deployment}/chat/completions", "/openai/v1/models", "/openai/v1/models/{model}",
            }));
            Assert.That(paths.EnumerateObject().Select(p => p.Name), Has.All.StartsWith("/openai/"), "the OpenAI-compatible routes only");
            Assert.That(create.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").ValueKind,
                Is.EqualTo(JsonValueKind.Object));
            Assert.That(create.GetProperty("responses").EnumerateObject().Select(r => r.Name), Is.SupersetOf(new[] { "200", "400", "401", "404", "429" }));
            Assert.That(paths.GetProperty("/openai/deployments/{deployment}/chat/completions").GetProperty("post").GetProperty("parameters")
                .EnumerateArray().Select(p => p.GetProperty("name").GetString()), Does.Contain("api-version"));
            Assert.That(mainPaths, Has.None.StartsWith("/openai"));
            Assert.That(uiScript, Does.Contain("/swagger/openai/swagger.json"));
        });
    }
}
