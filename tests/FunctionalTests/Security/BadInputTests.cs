using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests.Security;

/// <summary>Hostile or broken input is a 4xx ProblemDetails, never a 500, and never echoes a secret.</summary>
public sealed class BadInputTests
{
    private SecuredApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _factory = new SecuredApiFactory(SecuredApiFactory.WithKeys());
        _client = _factory.CreateClient();
        _client.DefaultRequestHeaders.Add("api-key", SecuredApiFactory.AliceKey);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    private static IEnumerable<TestCaseData> ChatBodies()
    {
        yield return new TestCaseData("{").SetName("malformed JSON");
        yield return new TestCaseData("""{"messages":"hello"}""").SetName("messages of the wrong type");
        yield return new TestCaseData("""{"messages":[{"role":1,"content":"hi"}]}""").SetName("role of the wrong type");
        yield return new TestCaseData("""{"messages":[{"role":"user","content":["hi"]}]}""").SetName("content of the wrong type");
        yield return new TestCaseData("""{"messages":[{"role":"wizard","content":"hi"}]}""").SetName("invalid role");
        yield return new TestCaseData("""{"messages":[{"role":"user\u0000","content":"hi"}]}""").SetName("control character in role");
        yield return new TestCaseData("""{"messages":[]}""").SetName("no messages");
        yield return new TestCaseData("""{"messages":[{"role":"user","content":"   "}]}""").SetName("blank content");
        yield return new TestCaseData($$"""{"messages":[{"role":"user","content":"{{new string('x', 40_000)}}"}]}""").SetName("huge content");
        yield return new TestCaseData("{\"messages\":[" + string.Join(",", Enumerable.Repeat("""{"role":"user","content":"hi"}""", 150)) + "]}").SetName("too many messages");
        yield return new TestCaseData("""{"messages":[{"role":"user","content":"\uD800"}]}""").SetName("lone surrogate");
        yield return new TestCaseData("[]").SetName("array body");
        yield return new TestCaseData("null").SetName("null body");
    }

    [TestCaseSource(nameof(ChatBodies))]
    public async Task ShouldAnswerBadChatBodiesWith4xxProblem(string body)
    {
        using var response = await _client.PostAsync("/chat", HttpAssertions.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That((int)response.StatusCode, Is.InRange(400, 499), text);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), text);
            Assert.That(text, Does.Not.Contain(SecuredApiFactory.AliceKey));
            Assert.That(text, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    [TestCase("/completion?query=%20%20")]
    [TestCase("/completion?query=%00%01%02")]
    public async Task ShouldAnswerBadQueriesWith4xxProblem(string path)
    {
        using var response = await _client.GetAsync(path);
        Assert.That((int)response.StatusCode, Is.InRange(400, 499));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task ShouldAnswerAHugeQueryWith4xx()
    {
        using var response = await _client.GetAsync("/completion?query=" + new string('q', 40_000));
        Assert.That((int)response.StatusCode, Is.InRange(400, 499));
    }

    [Test]
    public async Task ShouldAcceptUnicode()
    {
        using var response = await _client.PostAsync("/chat", HttpAssertions.Json("""{"messages":[{"role":"user","content":"Grüße, 你好, مرحبا 👋🏽"}]}"""));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task ShouldNotLeakSecretsInHealthOrErrors()
    {
        var upstreamKey = _factory.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["OPENAI_API_KEY"];
        Assert.That(upstreamKey, Is.Not.Null.And.Not.Empty);
        var bodies = new List<string>();
        foreach (var path in new[] { "/health", "/completion?query=%20", "/nope" })
        {
            using var response = await _client.GetAsync(path);
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        using var anonymous = _factory.CreateClient();
        using var unauthorized = await anonymous.GetAsync("/completion?query=hi");
        bodies.Add(await unauthorized.Content.ReadAsStringAsync());

        foreach (var body in bodies)
        {
            Assert.That(body, Does.Not.Contain(upstreamKey!).And.Not.Contain(SecuredApiFactory.AliceKey).And.Not.Contain(SecuredApiFactory.BobKey));
        }
    }
}
