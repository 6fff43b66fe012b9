using System.Net;
using System.Text;
using System.Text.Json;
using Wrapper.FunctionalTests.Infrastructure;
using Wrapper.FunctionalTests.Security;

namespace Wrapper.FunctionalTests.OpenAICompatible;

/// <summary>The OpenAI-compatible routes through the whole API on the embedded simulator, with client keys: both faces,
/// plain and streamed, the model list and map, OpenAI-shaped errors, and bodies passed through untouched.</summary>
[TestFixture]
public sealed class OpenAICompatibleRouteTests
{
    private const string Messages = """[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello from the OpenAI face?"}]""";

    private SecuredApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public void Start()
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["OpenAICompatible:Models:gpt-4o-mini"] = "gpt-4o-mini";
        settings["OpenAICompatible:Models:team-default"] = "gpt-4o-mini";
        settings["OpenAICompatible:Models:ghost"] = "no-such-deployment";
        _factory = new SecuredApiFactory(settings);
        _client = _factory.CreateClient();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(string path, string json, string? bearer = SecuredApiFactory.BobKey, string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("api-key", apiKey);
        }

        return _client.SendAsync(request);
    }

    private static async Task<JsonElement> AssertOpenAIErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? code, string type)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(status), text);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), text);
        });
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Multiple(() =>
        {
            if (code is not null)
            {
                Assert.That(error.GetProperty("code").GetString(), Is.EqualTo(code), text);
            }

            Assert.That(error.GetProperty("type").GetString(), Is.EqualTo(type), text);
            Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty);
            Assert.That(error.TryGetProperty("param", out _), Is.True, text);
        });
        return error;
    }

    [Test]
    public async Task V1ChatCompletionAnswersInOpenAIsShape()
    {
        using var response = await PostAsync("/openai/v1/chat/completions", $$"""{"model":"gpt-4o-mini","messages":{{Messages}}}""");
        var body = await response.ReadJsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.GetProperty("object").GetString(), Is.EqualTo("chat.completion"));
            Assert.That(body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), Does.Contain("Hello from the OpenAI face?"));
            Assert.That(body.GetProperty("usage").GetProperty("total_tokens").GetInt32(), Is.GreaterThan(0));
            // Azure's own fields come through: the body is relayed, not rebuilt.
            Assert.That(body.TryGetProperty("prompt_filter_results", out _), Is.True);
        });
    }

    [Test]
    public async Task AzureStyleRouteAnswersWithTheApiKeyHeader()
    {
        using var response = await PostAsync("/openai/deployments/team-default/chat/completions?api-version=2024-10-21",
            $$"""{"messages":{{Messages}}}""", bearer: null, apiKey: SecuredApiFactory.AliceKey);
        var body = await response.ReadJsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), Does.Contain("Hello from the OpenAI face?"));
        });
    }

    [Test]
    public async Task StreamIsAzuresEventStreamWithUsageAndDone()
    {
        using var response = await PostAsync("/openai/v1/chat/completions", $$"""{"model":"team-default","stream":true,"messages":{{Messages}}}""");
        var text = await response.Content.ReadAsStringAsync();
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var chunks = events.Where(e => e != "data: [DONE]").Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        var content = string.Concat(chunks.SelectMany(c => c.GetProperty("choices").EnumerateArray())
            .Select(c => c.GetProperty("delta").TryGetProperty("content", out var piece) && piece.ValueKind == JsonValueKind.String ? piece.GetString() : ""));

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
            Assert.That(events, Has.All.StartWith("data: "));
            Assert.That(events[^1], Is.EqualTo("data: [DONE]"));
            Assert.That(chunks, Has.All.Matches<JsonElement>(c => c.GetProperty("object").GetString() == "chat.completion.chunk"));
            Assert.That(content, Does.Contain("Hello from the OpenAI face?"));
            // include_usage was set for the quotas: the last chunk carries the usage and no choice.
            Assert.That(chunks[^1].GetProperty("usage").GetProperty("total_tokens").GetInt32(), Is.GreaterThan(0));
            Assert.That(chunks[^1].GetProperty("choices").GetArrayLength(), Is.Zero);
        });
    }

    [Test]
    public async Task ModelsListsThePublicNames()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openai/v1/models");
        request.Headers.Add("api-key", SecuredApiFactory.BobKey);
        using var response = await _client.SendAsync(request);
        var body = await response.ReadJsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(body.GetProperty("object").GetString(), Is.EqualTo("list"));
            Assert.That(body.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()),
                Is.EquivalentTo(new[] { "gpt-4o-mini", "team-default", "ghost" }));
            Assert.That(body.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("object").GetString()), Has.All.EqualTo("model"));
        });
    }

    [Test]
    public async Task UnknownModelIsA404ModelNotFoundInOpenAIsShape()
    {
        using var response = await PostAsync("/openai/v1/chat/completions", $$"""{"model":"gpt-5-imaginary","messages":{{Messages}}}""");
        var error = await AssertOpenAIErrorAsync(response, HttpStatusCode.NotFound, "model_not_found", "invalid_request_error");

        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("param").GetString(), Is.EqualTo("model"));
            Assert.That(response.Headers.GetValues("X-Wrapper-Refusal").Single(), Is.EqualTo("client"));
        });
    }

    [Test]
    public async Task UnknownDeploymentOnTheAzureRouteIsA404DeploymentNotFound()
    {
        using var response = await PostAsync("/openai/deployments/nope/chat/completions?api-version=2024-10-21", $$"""{"messages":{{Messages}}}""",
            bearer: null, apiKey: SecuredApiFactory.BobKey);
        await AssertOpenAIErrorAsync(response, HttpStatusCode.NotFound, "DeploymentNotFound", "invalid_request_error");
    }

    [Test]
    public async Task AzureRouteWithoutApiVersionIsA404AsAzureAnswers()
    {
        using var response = await PostAsync("/openai/deployments/team-default/chat/completions", $$"""{"messages":{{Messages}}}""",
            bearer: null, apiKey: SecuredApiFactory.BobKey);
        await AssertOpenAIErrorAsync(response, HttpStatusCode.NotFound, "404", "invalid_request_error");
    }

    [Test]
    public async Task WrongKeyIsA401InOpenAIsShape()
    {
        using var response = await PostAsync("/openai/v1/chat/completions", $$"""{"model":"gpt-4o-mini","messages":{{Messages}}}""",
            bearer: "not-a-key-of-this-service-0123456789");
        await AssertOpenAIErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_api_key", "invalid_request_error");
        Assert.That(response.Headers.GetValues("X-Wrapper-Refusal").Single(), Is.EqualTo("client"));
    }

    [Test]
    public async Task InvalidBodyIsA400NamingTheField()
    {
        using var response = await PostAsync("/openai/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[]}""");
        var error = await AssertOpenAIErrorAsync(response, HttpStatusCode.BadRequest, "validation_failed", "invalid_request_error");
        Assert.That(error.GetProperty("param").GetString(), Is.EqualTo("messages"));
    }

    [Test]
    public async Task MalformedJsonIsA400()
    {
        using var response = await PostAsync("/openai/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[""");
        await AssertOpenAIErrorAsync(response, HttpStatusCode.BadRequest, "validation_failed", "invalid_request_error");
    }

    [Test]
    public async Task AMappedDeploymentThatDoesNotExistUpstreamIsA502WithoutUpstreamDetails()
    {
        using var response = await PostAsync("/openai/v1/chat/completions", $$"""{"model":"ghost","messages":{{Messages}}}""");
        var error = await AssertOpenAIErrorAsync(response, HttpStatusCode.BadGateway, "upstream_not_found", "server_error");
        Assert.That(error.GetProperty("message").GetString(), Does.Not.Contain("127.0.0.1").And.Not.Contain("localhost"));
    }

    [Test]
    public async Task AnOpenAIRouteThisServiceDoesNotServeIsA404InOpenAIsShape()
    {
        using var response = await PostAsync("/openai/v1/embeddings", """{"model":"gpt-4o-mini","input":"hi"}""");
        await AssertOpenAIErrorAsync(response, HttpStatusCode.NotFound, null, "invalid_request_error");
    }

    [Test]
    public async Task AnUnknownApiVersionFormatIsA400()
    {
        using var response = await PostAsync("/openai/deployments/team-default/chat/completions?api-version=latest", $$"""{"messages":{{Messages}}}""",
            bearer: null, apiKey: SecuredApiFactory.BobKey);
        await AssertOpenAIErrorAsync(response, HttpStatusCode.BadRequest, "BadRequest", "invalid_request_error");
    }

    [Test]
    public async Task ABodyThatIsNotJsonContentIsA415InOpenAIsShape()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/openai/v1/chat/completions") { Content = new StringContent("hello", Encoding.UTF8, "text/plain") };
        request.Headers.Add("api-key", SecuredApiFactory.BobKey);
        using var response = await _client.SendAsync(request);
        await AssertOpenAIErrorAsync(response, HttpStatusCode.UnsupportedMediaType, null, "invalid_request_error");
    }

    [Test]
    public async Task RetrievingAModelAnswersItOrModelNotFound()
    {
        using var known = new HttpRequestMessage(HttpMethod.Get, "/openai/v1/models/team-default");
        known.Headers.Add("api-key", SecuredApiFactory.BobKey);
        using var found = await _client.SendAsync(known);
        using var unknown = new HttpRequestMessage(HttpMethod.Get, "/openai/v1/models/gpt-5-imaginary");
        unknown.Headers.Add("api-key", SecuredApiFactory.BobKey);
        using var missing = await _client.SendAsync(unknown);

        Assert.That((await found.ReadJsonAsync()).GetProperty("id").GetString(), Is.EqualTo("team-default"));
        await AssertOpenAIErrorAsync(missing, HttpStatusCode.NotFound, "model_not_found", "invalid_request_error");
    }
}
