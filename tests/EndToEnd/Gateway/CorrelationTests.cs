using System.Net;
using Wrapper.EndToEndTests.Infrastructure;

namespace Wrapper.EndToEndTests.Gateway;

[TestFixture]
public sealed class CorrelationTests
{
    private const string Header = "X-APIM-Correlation-Id";
    private FakeBackend _backend = null!;
    private InProcessGateway _gateway = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _backend = await FakeBackend.StartAsync("api-1");
        _gateway = await InProcessGateway.StartAsync([_backend]);
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Test]
    public async Task ShouldPassTheCallersCorrelationIdToTheBackendAndBack()
    {
        using var client = _gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "completion");
        request.Headers.Add(Header, "caller-id-42");
        using var response = await client.SendAsync(request);

        Assert.That(response.Header(Header), Is.EqualTo("caller-id-42"));
        Assert.That(_backend.Requests.Single().CorrelationId, Is.EqualTo("caller-id-42"));
    }

    [TestCase(null)]
    [TestCase("has spaces and <angle brackets>")]
    public async Task ShouldCreateACorrelationIdWhenTheCallersIsMissingOrUnacceptable(string? incoming)
    {
        using var client = _gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "completion");
        if (incoming is not null)
        {
            request.Headers.TryAddWithoutValidation(Header, incoming);
        }

        using var response = await client.SendAsync(request);

        var id = response.Header(Header);
        Assert.That(Guid.TryParse(id, out _), Is.True, $"a GUID, got '{id}'");
        Assert.That(_backend.Requests.Single().CorrelationId, Is.EqualTo(id));
    }

    [Test]
    public async Task ShouldPutTheCorrelationIdOnTheGatewaysOwnProblems()
    {
        _backend.FailWith(503);
        using var client = _gateway.CreateClient();
        using (await client.GetAsync("completion"))
        {
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "completion");
        request.Headers.Add(Header, "trace-me");
        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(response.Header(Header), Is.EqualTo("trace-me"));
        Assert.That((await response.JsonAsync()).GetProperty("correlationId").GetString(), Is.EqualTo("trace-me"));
    }
}
