using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wrapper.Simulator;
using static Wrapper.IntegrationTests.Simulator.SimulatorHttp;

namespace Wrapper.IntegrationTests.Simulator;

[TestFixture]
public sealed class ChatCompletionsTests : SimulatorFixture
{
    [Test]
    public async Task ShouldAnswerInAzureShapeWithRealTokenCounts()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var response = await PostChatAsync(Client, Body("What is the capital of France?", system: "Be brief."));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var json = await ReadJsonAsync(response);
        var choice = json.GetProperty("choices")[0];
        var content = choice.GetProperty("message").GetProperty("content").GetString()!;
        var usage = json.GetProperty("usage");
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("id").GetString(), Does.StartWith("chatcmpl-"));
            Assert.That(json.GetProperty("object").GetString(), Is.EqualTo("chat.completion"));
            Assert.That(json.GetProperty("created").GetInt64(), Is.InRange(before - 1, before + 60));
            Assert.That(json.GetProperty("model").GetString(), Is.EqualTo("gpt-4o"));
            Assert.That(json.GetProperty("choices").GetArrayLength(), Is.EqualTo(1));
            Assert.That(choice.GetProperty("index").GetInt32(), Is.Zero);
            Assert.That(choice.GetProperty("finish_reason").GetString(), Is.EqualTo("stop"));
            Assert.That(choice.GetProperty("message").GetProperty("role").GetString(), Is.EqualTo("assistant"));
            Assert.That(content, Does.Contain("What is the capital of France?"));
            Assert.That(
                choice.GetProperty("content_filter_results").GetProperty("hate").GetProperty("filtered").GetBoolean(),
                Is.False);
            Assert.That(
                json.GetProperty("prompt_filter_results")[0].GetProperty("content_filter_results").GetProperty("jailbreak")
                    .GetProperty("detected").GetBoolean(),
                Is.False);
            Assert.That(
                usage.GetProperty("prompt_tokens").GetInt32(),
                Is.EqualTo(ExpectedPromptTokens(("system", "Be brief."), ("user", "What is the capital of France?"))));
            Assert.That(usage.GetProperty("completion_tokens").GetInt32(), Is.EqualTo(O200k.CountTokens(content)));
            Assert.That(usage.GetProperty("completion_tokens").GetInt32(), Is.EqualTo(Server.Options.AnswerTokens));
            Assert.That(
                usage.GetProperty("total_tokens").GetInt32(),
                Is.EqualTo(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32()));
            Assert.That(Header(response, "apim-request-id"), Is.Not.Empty);
        });
    }

    [Test]
    public async Task ShouldGiveTheSameAnswerToTheSamePrompt()
    {
        using var first = await PostChatAsync(Client, Body("Tell me about tokens."));
        using var second = await PostChatAsync(Client, Body("Tell me about tokens."));
        using var other = await PostChatAsync(Client, Body("Something else entirely."));

        var a = (await ReadJsonAsync(first)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        var b = (await ReadJsonAsync(second)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        var c = (await ReadJsonAsync(other)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        Assert.That(b, Is.EqualTo(a));
        Assert.That(c, Is.Not.EqualTo(a));
    }

    [TestCase("max_tokens", 1)]
    [TestCase("max_tokens", 7)]
    [TestCase("max_completion_tokens", 12)]
    public async Task ShouldCutTheAnswerAtMaxTokens(string parameter, int max)
    {
        var body = Body("Write a long essay about the sea.");
        body[parameter] = max;

        using var response = await PostChatAsync(Client, body);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var json = await ReadJsonAsync(response);
        var choice = json.GetProperty("choices")[0];
        var content = choice.GetProperty("message").GetProperty("content").GetString()!;
        var completionTokens = json.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        Assert.Multiple(() =>
        {
            Assert.That(choice.GetProperty("finish_reason").GetString(), Is.EqualTo("length"));
            Assert.That(completionTokens, Is.LessThanOrEqualTo(max).And.GreaterThan(0));
            Assert.That(O200k.CountTokens(content), Is.EqualTo(completionTokens));
        });
    }

    [Test]
    public async Task ShouldStopNaturallyWhenMaxTokensIsAboveTheAnswer()
    {
        var body = Body("Short one, please.");
        body["max_tokens"] = 4096;

        using var response = await PostChatAsync(Client, body);

        var json = await ReadJsonAsync(response);
        Assert.That(json.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), Is.EqualTo("stop"));
        Assert.That(json.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), Is.EqualTo(Server.Options.AnswerTokens));
    }

    [Test]
    public async Task ShouldRefuseAWrongKeyWithAzures401()
    {
        using var response = await PostChatAsync(Client, Body("hi"), key: "wrong-key");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var error = (await ReadJsonAsync(response)).GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("401"));
        Assert.That(error.GetProperty("message").GetString(), Does.StartWith("Access denied due to invalid subscription key or wrong API endpoint."));
    }

    [Test]
    public async Task ShouldRefuseAMissingKey()
    {
        using var response = await PostChatAsync(Client, Body("hi"), key: null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var error = (await ReadJsonAsync(response)).GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("401"));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("missing subscription key"));
    }

    [Test]
    public async Task ShouldAnswerUnknownDeploymentWith404DeploymentNotFound()
    {
        using var response = await PostChatAsync(Client, Body("hi"), deployment: "gpt-5-unknown");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var error = (await ReadJsonAsync(response)).GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("DeploymentNotFound"));
    }

    [Test]
    public async Task ShouldAnswerMissingApiVersionWith404ResourceNotFound()
    {
        using var response = await PostChatAsync(Client, Body("hi"), apiVersion: null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var error = (await ReadJsonAsync(response)).GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("404"));
        Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("Resource not found"));
    }

    [Test]
    public async Task ShouldAnswerAnUnsupportedApiVersionWith400()
    {
        using var response = await PostChatAsync(Client, Body("hi"), apiVersion: "yesterday");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await ReadJsonAsync(response)).GetProperty("error").GetProperty("message").GetString(), Is.EqualTo("API version not supported"));
    }

    [TestCase("{not json", "BadRequest")]
    [TestCase("[]", "invalid_type")]
    [TestCase("{}", "missing_required_parameter")]
    [TestCase("""{"messages":[]}""", "empty_array")]
    [TestCase("""{"messages":"hello"}""", "invalid_type")]
    [TestCase("""{"messages":[{"role":"wizard","content":"hi"}]}""", "invalid_value")]
    [TestCase("""{"messages":[{"content":"hi"}]}""", "missing_required_parameter")]
    [TestCase("""{"messages":[{"role":"user","content":42}]}""", "invalid_type")]
    [TestCase("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "integer_below_min_value")]
    [TestCase("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":"ten"}""", "invalid_type")]
    [TestCase("""{"messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "invalid_type")]
    [TestCase("""{"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}""", "invalid_value")]
    public async Task ShouldRefuseABadBodyWithAnAzureShaped400(string json, string code)
    {
        using var response = await PostRawAsync(Client, ChatPath(), json);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var error = (await ReadJsonAsync(response)).GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo(code));
        Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty);
    }

    [Test]
    public async Task ShouldAcceptMultipartContentAndCountItsText()
    {
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(
                    new JsonObject { ["type"] = "text", ["text"] = "Describe " },
                    new JsonObject { ["type"] = "text", ["text"] = "the moon." }),
            }),
        };

        using var response = await PostChatAsync(Client, body);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var json = await ReadJsonAsync(response);
        Assert.That(
            json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(),
            Is.EqualTo(ExpectedPromptTokens(("user", "Describe the moon."))));
    }

    [Test]
    public async Task ShouldBlockAPromptWithTheContentFilterTrigger()
    {
        using var response = await PostChatAsync(Client, Body("Please trigger-content-filter now."));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var error = (await ReadJsonAsync(response)).GetProperty("error");
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("content_filter"));
            Assert.That(error.GetProperty("param").GetString(), Is.EqualTo("prompt"));
            Assert.That(error.GetProperty("innererror").GetProperty("code").GetString(), Is.EqualTo("ResponsibleAIPolicyViolation"));
            Assert.That(
                error.GetProperty("innererror").GetProperty("content_filter_result").GetProperty("hate").GetProperty("filtered").GetBoolean(),
                Is.True);
        });
    }

    [Test]
    public async Task ShouldFilterTheCompletionWithTheCompletionFilterTrigger()
    {
        using var response = await PostChatAsync(Client, Body("Please trigger-completion-filter now."));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var choice = (await ReadJsonAsync(response)).GetProperty("choices")[0];
        Assert.That(choice.GetProperty("finish_reason").GetString(), Is.EqualTo("content_filter"));
        Assert.That(choice.GetProperty("content_filter_results").GetProperty("violence").GetProperty("filtered").GetBoolean(), Is.True);
    }

    [Test]
    public async Task ShouldAcceptABearerTokenOverHttpsTrustingTheEphemeralCertificate()
    {
        using var https = CreateHttpsClient(Server);

        using var response = await PostWithBearerAsync(https, Body("hello over TLS"), "entra-id-token");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Server.HttpsAddress.Scheme, Is.EqualTo("https"));
    }

    [Test]
    public void ShouldNotBeTrustedByAClientThatDoesNotPinTheCertificate()
    {
        using var untrusting = new HttpClient { BaseAddress = Server.HttpsAddress };

        Assert.ThrowsAsync<HttpRequestException>(() => PostChatAsync(untrusting, Body("hi")));
    }

    [Test]
    public void ShouldServeACertificateForLocalhostAndTheLoopbackAddress()
    {
        var certificate = Server.Certificate;
        var names = certificate.Extensions
            .OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>()
            .Single();

        Assert.Multiple(() =>
        {
            Assert.That(certificate.Subject, Is.EqualTo("CN=localhost"));
            Assert.That(certificate.HasPrivateKey, Is.True);
            Assert.That(names.EnumerateDnsNames(), Does.Contain("localhost"));
            Assert.That(names.EnumerateIPAddresses(), Does.Contain(IPAddress.Loopback));
            Assert.That(
                certificate.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension>()
                    .Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value),
                Does.Contain("1.3.6.1.5.5.7.3.1"));
        });
    }
}
