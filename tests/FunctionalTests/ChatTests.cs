using System.Net;
using System.Text;
using Wrapper.FunctionalTests.Infrastructure;
using static Wrapper.FunctionalTests.Infrastructure.HttpAssertions;

namespace Wrapper.FunctionalTests;

public sealed class ChatTests : EmbeddedApiTests
{
    [Test]
    public async Task ShouldAnswerConversationWithCompletionShape()
    {
        using var response = await Client.PostAsync("/chat", Json("""
            {"messages":[
              {"role":"system","content":"You are terse."},
              {"role":"user","content":"Hi"},
              {"role":"assistant","content":"Hello."},
              {"role":"user","content":"Name a colour"}
            ]}
            """));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var body = await response.ReadJsonAsync();
        var usage = body.GetProperty("usage");
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("content").GetString(), Does.Contain("Name a colour"), "answers the last user message");
            Assert.That(body.GetProperty("model").GetString(), Is.EqualTo("gpt-4o-mini"));
            Assert.That(body.GetProperty("finish_reason").GetString(), Is.EqualTo("stop"));
            Assert.That(usage.GetProperty("total_tokens").GetInt32(),
                Is.EqualTo(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32()));
        });
    }

    [Test]
    public async Task ShouldCountTheConfiguredSystemPromptWhenNoneIsSent()
    {
        using var withoutSystem = await Client.PostAsync("/chat", Json("""{"messages":[{"role":"user","content":"Hi"}]}"""));
        using var withShortSystem = await Client.PostAsync("/chat", Json("""{"messages":[{"role":"system","content":"x"},{"role":"user","content":"Hi"}]}"""));

        var promptWithDefault = (await withoutSystem.ReadJsonAsync()).GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        var promptWithShort = (await withShortSystem.ReadJsonAsync()).GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        // "You are a helpful assistant." is longer than "x": the default prompt was added.
        Assert.That(promptWithDefault, Is.GreaterThan(promptWithShort));
    }

    [TestCase("{}", "messages", TestName = "Missing messages")]
    [TestCase("""{"messages":null}""", "messages", TestName = "Null messages")]
    [TestCase("""{"messages":[]}""", "messages", TestName = "Empty messages")]
    [TestCase("""{"messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role", TestName = "Unknown role")]
    [TestCase("""{"messages":[{"role":"USER","content":"hi"}]}""", "messages[0].role", TestName = "Role in wrong case")]
    [TestCase("""{"messages":[{"content":"hi"}]}""", "messages[0].role", TestName = "Missing role")]
    [TestCase("""{"messages":[{"role":"user","content":""}]}""", "messages[0].content", TestName = "Empty content")]
    [TestCase("""{"messages":[{"role":"user","content":"   "}]}""", "messages[0].content", TestName = "Blank content")]
    [TestCase("""{"messages":[{"role":"user"}]}""", "messages[0].content", TestName = "Missing content")]
    [TestCase("""{"messages":[{"role":"user","content":"ok"},{"role":"user","content":"bad\u0007bell"}]}""", "messages[1].content", TestName = "Control character")]
    [TestCase("""{"messages":[null]}""", "messages[0].role", TestName = "Null message")]
    [TestCase("""{"messages":[{"role":1,"content":"hi"}]}""", "messages[0].role", TestName = "Role of wrong type")]
    [TestCase("""{"messages":[{"role":"user","content":["hi"]}]}""", "messages[0].content", TestName = "Content of wrong type")]
    [TestCase("""{"messages":"hi"}""", "messages", TestName = "Messages of wrong type")]
    [TestCase("""{"messages":[{"role":"user","content":"hi"}""", "body", TestName = "Truncated JSON")]
    [TestCase("""{"messages":[{"role":"user","content":"hi"}]}}""", "body", TestName = "Trailing garbage")]
    [TestCase("not json", "body", TestName = "Not JSON")]
    [TestCase("[]", "body", TestName = "Array body")]
    [TestCase("null", "body", TestName = "Null body")]
    [TestCase("", "body", TestName = "Empty body")]
    public async Task ShouldRejectInvalidBodyWithFieldErrors(string json, string field)
    {
        using var response = await Client.PostAsync("/chat", Json(json));

        await response.AssertValidationProblemAsync(field);
    }

    [Test]
    public async Task ShouldRejectMoreMessagesThanTheLimit()
    {
        var messages = string.Join(",", Enumerable.Repeat("""{"role":"user","content":"hi"}""", 101));
        using var response = await Client.PostAsync("/chat", Json($$"""{"messages":[{{messages}}]}"""));

        var problem = await response.AssertValidationProblemAsync("messages");
        Assert.That(problem.GetProperty("errors").GetProperty("messages")[0].GetString(), Does.Contain("at most 100"));
    }

    [Test]
    public async Task ShouldReportEveryInvalidFieldAtOnce()
    {
        using var response = await Client.PostAsync("/chat", Json("""{"messages":[{"role":"bot","content":""},{"role":"user","content":"fine"},{"role":"","content":"x"}]}"""));

        var problem = await response.AssertValidationProblemAsync("messages[0].role");
        var errors = problem.GetProperty("errors");
        Assert.Multiple(() =>
        {
            Assert.That(errors.TryGetProperty("messages[0].content", out _), Is.True, errors.ToString());
            Assert.That(errors.TryGetProperty("messages[2].role", out _), Is.True, errors.ToString());
            Assert.That(errors.TryGetProperty("messages[1].role", out _), Is.False, errors.ToString());
        });
    }

    [Test]
    public async Task ShouldNotEchoReaderInternalsForWrongTypes()
    {
        using var response = await Client.PostAsync("/chat", Json("""{"messages":[{"role":1,"content":"hi"}]}"""));

        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(body, Does.Not.Contain("System.String"));
            Assert.That(body, Does.Not.Contain("BytePositionInLine"));
        });
    }

    [Test]
    public async Task ShouldRejectNonJsonContentTypeWith415()
    {
        using var response = await Client.PostAsync("/chat", new StringContent("""{"messages":[]}""", Encoding.UTF8, "text/plain"));

        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Test]
    public async Task ShouldRejectBodyOverTheSizeLimitWith413()
    {
        var big = new string('a', 1024 * 1024);
        using var response = await Client.PostAsync("/chat", Json($$"""{"messages":[{"role":"user","content":"{{big}}"}]}"""));

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Test]
    public async Task ShouldRejectGetOnChatWith405()
    {
        using var response = await Client.GetAsync("/chat");

        await response.AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
        Assert.That(response.Content.Headers.Allow, Does.Contain("POST"));
    }
}
