using System.Net;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests;

public sealed class CorrelationTests : EmbeddedApiTests
{
    private const string Header = "X-APIM-Correlation-Id";

    [TestCase("/health")]
    [TestCase("/completion?query=hi")]
    [TestCase("/no-such-route")]
    public async Task ShouldEchoTheCallersCorrelationId(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(Header, "apim-7f3e2c1a-req:42");

        using var response = await Client.SendAsync(request);

        Assert.That(response.Headers.GetValues(Header).Single(), Is.EqualTo("apim-7f3e2c1a-req:42"));
    }

    [Test]
    public async Task ShouldMakeOneWhenNoneIsSent()
    {
        using var first = await Client.GetAsync("/health");
        using var second = await Client.GetAsync("/health");

        var firstId = first.Headers.GetValues(Header).Single();
        Assert.Multiple(() =>
        {
            Assert.That(Guid.TryParse(firstId, out _), Is.True, firstId);
            Assert.That(second.Headers.GetValues(Header).Single(), Is.Not.EqualTo(firstId));
        });
    }

    [TestCase("has spaces in it")]
    [TestCase("<script>")]
    [TestCase("semi;colon")]
    public async Task ShouldReplaceAnUnsafeId(string unsafeId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.TryAddWithoutValidation(Header, unsafeId);

        using var response = await Client.SendAsync(request);

        var id = response.Headers.GetValues(Header).Single();
        Assert.That(Guid.TryParse(id, out _), Is.True, id);
    }

    [Test]
    public async Task ShouldReplaceAnIdLongerThan128Characters()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add(Header, new string('a', 129));

        using var response = await Client.SendAsync(request);

        Assert.That(Guid.TryParse(response.Headers.GetValues(Header).Single(), out _), Is.True);
    }

    [Test]
    public async Task ShouldPutTheIdInProblemDetails()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/chat") { Content = HttpAssertions.Json("{}") };
        request.Headers.Add(Header, "trace-me-123");

        using var response = await Client.SendAsync(request);

        var problem = await response.AssertValidationProblemAsync("messages");
        Assert.That(problem.GetProperty("correlationId").GetString(), Is.EqualTo("trace-me-123"));
    }
}
