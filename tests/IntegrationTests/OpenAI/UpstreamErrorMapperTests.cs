using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Infrastructure.OpenAI;

namespace Wrapper.IntegrationTests.OpenAI;

/// <summary>The mapping cases the simulator cannot produce (HTTP-date retry-after, odd bodies, aggregated tries).</summary>
[TestFixture]
public sealed class UpstreamErrorMapperTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static UpstreamException Map(Exception ex) => UpstreamErrorMapper.Map(ex, "gpt-4o-mini", TimeSpan.FromSeconds(30), Now);

    private static ClientResultException Failure(int status, string body, params (string Name, string Value)[] headers) =>
        new(new FakeResponse(status, body, headers));

    [Test]
    public void ARetryAfterHttpDateIsReadRelativeToNow()
    {
        var ex = Map(Failure(429, "{}", ("retry-after", Now.AddSeconds(42).ToString("r", CultureInfo.InvariantCulture))));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(42)));
        });
    }

    [Test]
    public void RetryAfterMsWinsOverRetryAfter()
    {
        var ex = Map(Failure(429, "{}", ("retry-after", "2"), ("retry-after-ms", "1500")));

        Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromMilliseconds(1500)));
    }

    [Test]
    public void AnUnreadableRetryAfterIsIgnored()
    {
        var ex = Map(Failure(503, "{}", ("retry-after", "soon")));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(ex.RetryAfter, Is.Null);
        });
    }

    [Test]
    public void TheOlderContentFilterShapeIsRecognised()
    {
        var ex = Map(Failure(400, """{"error":{"code":"BadRequest","innererror":{"code":"ResponsibleAIPolicyViolation"}}}"""));

        Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.ContentFiltered));
    }

    [Test]
    public void AnErrorCodeThatIsNotAPlainIdentifierIsNotRepeated()
    {
        var ex = Map(Failure(400, """{"error":{"code":"key sk-123 is wrong","message":"secret stuff"}}"""));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.BadRequest));
            Assert.That(ex.Message, Does.Not.Contain("sk-123"));
            Assert.That(ex.Message, Does.Not.Contain("secret"));
        });
    }

    [Test]
    public void ABodyThatIsNotJsonStillMapsByStatus()
    {
        var ex = Map(Failure(401, "<html>nope</html>"));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Authentication));
            Assert.That(ex.Message, Does.Not.Contain("html"));
        });
    }

    [Test]
    public void TheLastTryDecidesWhenSeveralTriesFailed()
    {
        var ex = Map(new AggregateException(new IOException("reset"), new TaskCanceledException("deadline")));

        Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Timeout));
    }

    [Test]
    public void AnAnswerTheSdkCouldNotReadIsABadResponse()
    {
        var ex = Map(new System.Text.Json.JsonException("unexpected token"));

        Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.BadResponse));
    }

    [Test]
    public void ATransportFailureWithoutResponseIsUnavailable()
    {
        var ex = Map(new ClientResultException("connection refused", response: null, new HttpRequestException("connection refused")));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(ex.UpstreamStatus, Is.Null);
        });
    }

    private sealed class FakeResponse : PipelineResponse
    {
        private readonly FakeHeaders _headers;
        private BinaryData _content;

        public FakeResponse(int status, string body, (string Name, string Value)[] headers)
        {
            Status = status;
            _content = BinaryData.FromString(body);
            _headers = new FakeHeaders(headers);
        }

        public override int Status { get; }

        public override string ReasonPhrase => "fake";

        public override Stream? ContentStream
        {
            get => _content.ToStream();
            set => _content = value is null ? BinaryData.Empty : BinaryData.FromStream(value);
        }

        public override BinaryData Content => _content;

        protected override PipelineResponseHeaders HeadersCore => _headers;

        public override BinaryData BufferContent(CancellationToken cancellationToken = default) => _content;

        public override ValueTask<BinaryData> BufferContentAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_content);

        public override void Dispose()
        {
        }
    }

    private sealed class FakeHeaders((string Name, string Value)[] headers) : PipelineResponseHeaders
    {
        public override bool TryGetValue(string name, out string? value)
        {
            var found = headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray();
            value = found.Length == 0 ? null : string.Join(",", found);
            return found.Length > 0;
        }

        public override bool TryGetValues(string name, out IEnumerable<string>? values)
        {
            var found = headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray();
            values = found;
            return found.Length > 0;
        }

        public override IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
            headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value)).GetEnumerator();
    }
}
