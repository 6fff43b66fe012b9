using System.Net;
using Wrapper.FunctionalTests.Infrastructure;
using static Wrapper.FunctionalTests.Infrastructure.HttpAssertions;

namespace Wrapper.FunctionalTests;

/// <summary>The embedded default: every response says it is simulated, naming both sides (the header said just
/// <c>true</c> before it named the sides), and the embedded simulator's key never leaks.</summary>
public sealed class SimulatedModeTests : EmbeddedApiTests
{
    [TestCase("GET", "/health")]
    [TestCase("GET", "/completion")]
    [TestCase("POST", "/chat")]
    [TestCase("GET", "/completion?query=trigger-content-filter")]
    [TestCase("GET", "/no-such-route")]
    [TestCase("GET", "/swagger/v1/swagger.json")]
    public async Task ShouldMarkEveryResponseAsSimulated(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = Json("""{"messages":[{"role":"user","content":"hi"}]}""");
        }

        using var response = await Client.SendAsync(request);

        Assert.That(response.Headers.TryGetValues("X-Wrapper-Simulated", out var values), Is.True, $"{method} {path} -> {response.StatusCode}");
        Assert.That(values!.Single(), Is.EqualTo("openai, agents"));
    }

    [Test]
    public async Task ShouldUseAPerProcessRandomKeyForTheEmbeddedSimulator()
    {
        Assert.That(Factory.ApiKey, Has.Length.GreaterThanOrEqualTo(32));

        await using var other = new EmbeddedApiFactory();
        Assert.That(other.ApiKey, Is.Not.EqualTo(Factory.ApiKey));
    }

    [Test]
    public async Task ShouldNotLeakTheEmbeddedKeyInErrors()
    {
        using var invalid = await Client.PostAsync("/chat", Json("""{"messages":[{"role":"bot","content":""}]}"""));
        using var filtered = await Client.GetAsync("/completion?query=trigger-content-filter");
        using var notFound = await Client.GetAsync("/nope");

        foreach (var response in new[] { invalid, filtered, notFound })
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.That((int)response.StatusCode, Is.GreaterThanOrEqualTo(400));
            Assert.That(body, Does.Not.Contain(Factory.ApiKey));
            Assert.That(response.Headers.ToString(), Does.Not.Contain(Factory.ApiKey));
        }

        await filtered.AssertProblemAsync(HttpStatusCode.BadRequest, "content_filter");
    }
}
