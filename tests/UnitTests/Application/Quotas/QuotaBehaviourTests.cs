using MediatR;
using Microsoft.Extensions.Options;
using Moq;
using Wrapper.Application.Chat;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Completion;
using Wrapper.Application.Grounding;
using Wrapper.Application.Quotas;
using Wrapper.Domain.Agents;
using Wrapper.Domain.Chat;

namespace Wrapper.UnitTests.Application.Quotas;

public sealed class QuotaBehaviourTests
{
    private const string Client = "client:alice";
    private const int PromptTokens = 20;
    private const int Estimate = 100;

    private Mock<IClientQuota> _quota = null!;
    private Mock<IPromptTokenCounter> _tokens = null!;
    private Mock<ICurrentClient> _client = null!;
    private QuotaStatus _status = null!;
    private QuotaOptions _options = null!;
    private QuotaRequest? _requested;
    private readonly List<TokenUsage> _corrections = [];

    [SetUp]
    public void SetUp()
    {
        _corrections.Clear();
        _requested = null;
        _options = new QuotaOptions { Default = new ClientLimitsOptions { TokensPerMinute = 1000, RequestsPerMinute = 10 }, EstimatedCompletionTokens = Estimate };
        _quota = new Mock<IClientQuota>();
        _quota.Setup(q => q.ReserveAsync(It.IsAny<QuotaRequest>(), It.IsAny<CancellationToken>()))
            .Callback<QuotaRequest, CancellationToken>((r, _) => _requested = r)
            .ReturnsAsync((QuotaRequest r, CancellationToken _) => Admitted(r.Tokens));
        _quota.Setup(q => q.CorrectAsync(It.IsAny<QuotaReservation>(), It.IsAny<TokenUsage>()))
            .Callback<QuotaReservation, TokenUsage>((_, u) => _corrections.Add(u))
            .Returns(ValueTask.CompletedTask);
        _tokens = new Mock<IPromptTokenCounter>();
        _tokens.Setup(t => t.CountPrompt(It.IsAny<IReadOnlyList<ChatMessage>>())).Returns(PromptTokens);
        _client = new Mock<ICurrentClient>();
        _client.SetupGet(c => c.Partition).Returns(Client);
        _status = new QuotaStatus();
    }

    private static QuotaDecision Admitted(long tokens) =>
        new(new QuotaReservation("r1", Client, 1, "d", tokens, "memory"), null, TimeSpan.Zero, null, 9, 1000 - tokens);

    private QuotaBehaviour<TRequest, TResponse> Behaviour<TRequest, TResponse>() =>
        new(_quota.Object, _tokens.Object, _client.Object, _status, Options.Create(_options), Options.Create(new ChatOptions()));

    [Test]
    public async Task ShouldReserveThePromptAndTheEstimatedAnswerThenCorrectToTheReportedUsage()
    {
        var answer = new ChatCompletion("hi", "gpt-4o", "stop", new TokenUsage(18, 7));

        var result = await Behaviour<GetCompletion, ChatCompletion>().Handle(new GetCompletion("hello"), CancellationToken.None, () => Task.FromResult(answer));

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.SameAs(answer));
            Assert.That(_requested, Is.EqualTo(new QuotaRequest(Client, _options.For(Client), PromptTokens + Estimate)));
            Assert.That(_corrections, Is.EqualTo(new[] { new TokenUsage(18, 7) }));
            Assert.That(_status.Decision?.Admitted, Is.True, "the decision is kept for the response headers");
        });
    }

    [Test]
    public void ShouldRefuseWithoutCallingTheModelWhenTheClientIsOverItsLimit()
    {
        var refusal = new QuotaDecision(null, QuotaLimit.TokensPerMinute, TimeSpan.FromSeconds(12), DateTimeOffset.UnixEpoch, 3, 0);
        _quota.Setup(q => q.ReserveAsync(It.IsAny<QuotaRequest>(), It.IsAny<CancellationToken>())).ReturnsAsync(refusal);
        var called = false;

        var ex = Assert.ThrowsAsync<ClientQuotaExceededException>(() => Behaviour<GetCompletion, ChatCompletion>()
            .Handle(new GetCompletion("hello"), CancellationToken.None, () => { called = true; return Task.FromResult<ChatCompletion>(null!); }));

        Assert.Multiple(() =>
        {
            Assert.That(called, Is.False);
            Assert.That(ex!.Limit, Is.EqualTo(QuotaLimit.TokensPerMinute));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(12)));
            Assert.That(_status.Decision, Is.SameAs(refusal));
            Assert.That(_corrections, Is.Empty);
        });
    }

    [TestCase(UpstreamFailure.Throttled, 0)]
    [TestCase(UpstreamFailure.Unavailable, 0)]
    [TestCase(UpstreamFailure.Timeout, PromptTokens)]
    public void ShouldGiveBackWhatAFailedCallDidNotSpend(UpstreamFailure failure, int charged)
    {
        Assert.ThrowsAsync<UpstreamException>(() => Behaviour<GetCompletion, ChatCompletion>()
            .Handle(new GetCompletion("hello"), CancellationToken.None, () => throw new UpstreamException(failure, "failed")));

        Assert.That(_corrections, Is.EqualTo(new[] { new TokenUsage(charged, 0) }));
    }

    [Test]
    public async Task ShouldCorrectAStreamToItsReportedUsageWhenItEnds()
    {
        var stream = await Behaviour<StreamChat, IAsyncEnumerable<ChatStreamUpdate>>().Handle(
            new StreamChat([new ChatMessageInput("user", "hi")]), CancellationToken.None,
            () => Task.FromResult(Updates(new ChatStreamDelta("a"), new ChatStreamDelta("b"), new ChatStreamCompleted("m", "stop", new TokenUsage(21, 2)))));
        Assert.That(_corrections, Is.Empty, "nothing is known before the stream is read");

        var read = 0;
        await foreach (var _ in stream)
        {
            read++;
        }

        Assert.Multiple(() =>
        {
            Assert.That(read, Is.EqualTo(3));
            Assert.That(_corrections, Is.EqualTo(new[] { new TokenUsage(21, 2) }));
        });
    }

    [Test]
    public async Task ShouldCorrectABrokenStreamToThePromptAndOneTokenPerPieceReceived()
    {
        var stream = await Behaviour<StreamChat, IAsyncEnumerable<ChatStreamUpdate>>().Handle(
            new StreamChat([new ChatMessageInput("user", "hi")]), CancellationToken.None,
            () => Task.FromResult(Broken(new ChatStreamDelta("a"), new ChatStreamDelta("b"), new ChatStreamDelta("c"))));

        Assert.ThrowsAsync<UpstreamException>(async () =>
        {
            await foreach (var _ in stream)
            {
            }
        });

        Assert.That(_corrections, Is.EqualTo(new[] { new TokenUsage(PromptTokens, 3) }));
    }

    [Test]
    public async Task ShouldCountAnAgentQuestionAsOneRequestWithoutTokens()
    {
        var answer = new AgentAnswer("text", [], null);

        await Behaviour<AskGroundedQuestion, AgentAnswer>().Handle(new AskGroundedQuestion("q"), CancellationToken.None, () => Task.FromResult(answer));

        Assert.Multiple(() =>
        {
            Assert.That(_requested!.Tokens, Is.Zero);
            _tokens.Verify(t => t.CountPrompt(It.IsAny<IReadOnlyList<ChatMessage>>()), Times.Never);
        });
    }

    [Test]
    public async Task ShouldCountAStreamedAgentAnswerAsOneRequestWithoutTokens_AndHandTheStreamBackUntouched()
    {
        var stream = AgentUpdates();

        var grounded = await Behaviour<StreamGroundedAnswer, IAsyncEnumerable<AgentStreamUpdate>>()
            .Handle(new StreamGroundedAnswer("q"), CancellationToken.None, () => Task.FromResult(stream));
        var groundedRequest = _requested;
        var named = await Behaviour<Wrapper.Application.Agents.StreamAgentAnswer, IAsyncEnumerable<AgentStreamUpdate>>()
            .Handle(new Wrapper.Application.Agents.StreamAgentAnswer("plain", "q"), CancellationToken.None, () => Task.FromResult(stream));

        Assert.Multiple(() =>
        {
            Assert.That(grounded, Is.SameAs(stream));
            Assert.That(named, Is.SameAs(stream));
            Assert.That(groundedRequest!.Tokens, Is.Zero);
            Assert.That(_requested!.Tokens, Is.Zero);
            Assert.That(_corrections, Is.Empty, "nothing to correct: no tokens were reserved");
            _quota.Verify(q => q.ReserveAsync(It.IsAny<QuotaRequest>(), It.IsAny<CancellationToken>()), Times.Exactly(2));
        });
    }

    private static async IAsyncEnumerable<AgentStreamUpdate> AgentUpdates()
    {
        await Task.Yield();
        yield return new AgentAnswerCompleted(new AgentAnswer("text", []));
    }

    [Test]
    public async Task ShouldNotCountPromptTokensWhenOnlyRequestsAreLimited()
    {
        _options = new QuotaOptions { Default = new ClientLimitsOptions { RequestsPerMinute = 10 }, EstimatedCompletionTokens = Estimate };
        var answer = new ChatCompletion("hi", "gpt-4o", "stop", new TokenUsage(18, 7));

        await Behaviour<GetCompletion, ChatCompletion>().Handle(new GetCompletion("hello"), CancellationToken.None, () => Task.FromResult(answer));

        Assert.Multiple(() =>
        {
            Assert.That(_requested!.Tokens, Is.Zero, "one request, no tokens reserved");
            Assert.That(_requested.Limits.LimitsTokens, Is.False);
            _tokens.Verify(t => t.CountPrompt(It.IsAny<IReadOnlyList<ChatMessage>>()), Times.Never);
            Assert.That(_corrections, Is.EqualTo(new[] { new TokenUsage(18, 7) }), "the real usage still reaches the store (and the metrics)");
        });
    }

    [Test]
    public async Task ShouldCountNothingWhenNoLimitIsConfigured()
    {
        _options = new QuotaOptions();
        var answer = new ChatCompletion("hi", "gpt-4o", "stop", new TokenUsage(18, 7));

        await Behaviour<GetCompletion, ChatCompletion>().Handle(new GetCompletion("hello"), CancellationToken.None, () => Task.FromResult(answer));

        _quota.VerifyNoOtherCalls();
        Assert.That(_status.Decision, Is.Null);
    }

    private static async IAsyncEnumerable<ChatStreamUpdate> Updates(params ChatStreamUpdate[] updates)
    {
        foreach (var update in updates)
        {
            await Task.Yield();
            yield return update;
        }
    }

    private static async IAsyncEnumerable<ChatStreamUpdate> Broken(params ChatStreamUpdate[] updates)
    {
        foreach (var update in updates)
        {
            await Task.Yield();
            yield return update;
        }

        throw new UpstreamException(UpstreamFailure.Unavailable, "broke off");
    }
}

public sealed class QuotaOptionsTests
{
    private static QuotaOptions Options() => new()
    {
        Default = new ClientLimitsOptions { RequestsPerMinute = 60, TokensPerMinute = 10_000 },
        Clients =
        {
            ["alice"] = new ClientLimitsOptions { TokensPerMinute = 50_000, TokenQuota = 1_000_000, QuotaPeriod = QuotaPeriod.Monthly },
            ["sub-123"] = new ClientLimitsOptions { RequestsPerMinute = 0 },
        },
    };

    [Test]
    public void ShouldTakeAClientsOwnLimitsAndInheritTheRestFromTheDefault()
    {
        var options = Options();
        Assert.Multiple(() =>
        {
            Assert.That(options.For("client:alice"), Is.EqualTo(new ClientLimits(60, 50_000, 1_000_000, QuotaPeriod.Monthly)));
            Assert.That(options.For("subscriber:sub-123"), Is.EqualTo(new ClientLimits(0, 10_000, 0, QuotaPeriod.Daily)));
            Assert.That(options.For("client:bob"), Is.EqualTo(new ClientLimits(60, 10_000, 0, QuotaPeriod.Daily)));
            Assert.That(options.For("ip:alice"), Is.EqualTo(new ClientLimits(60, 10_000, 0, QuotaPeriod.Daily)), "an address is never a configured client");
            Assert.That(options.Enabled, Is.True);
            Assert.That(new QuotaOptions().Enabled, Is.False);
        });
    }

    [Test]
    public void ShouldAlignWindowsToTheUtcCalendar()
    {
        var now = new DateTimeOffset(2026, 12, 31, 23, 59, 30, TimeSpan.FromHours(2));
        Assert.Multiple(() =>
        {
            Assert.That(QuotaWindows.Minute(now).EndsAt, Is.EqualTo(new DateTimeOffset(2026, 12, 31, 22, 0, 0, TimeSpan.Zero)));
            Assert.That(QuotaWindows.Period(now, QuotaPeriod.Hourly), Is.EqualTo(("h2026123121", new DateTimeOffset(2026, 12, 31, 22, 0, 0, TimeSpan.Zero))));
            Assert.That(QuotaWindows.Period(now, QuotaPeriod.Daily), Is.EqualTo(("d20261231", new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero))));
            Assert.That(QuotaWindows.Period(now, QuotaPeriod.Monthly), Is.EqualTo(("m202612", new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero))));
        });
    }

    [Test]
    public void ShouldNameTheRightPeriodAcrossHourDayAndMonthBoundariesOneCallAfterAnother()
    {
        // Periods are worked out once per UTC hour: consecutive calls across boundaries must never see the previous one.
        var lastSecondOfMonth = new DateTimeOffset(2027, 1, 31, 23, 59, 59, TimeSpan.Zero);
        var firstSecondOfNext = lastSecondOfMonth.AddSeconds(1);
        Assert.Multiple(() =>
        {
            Assert.That(QuotaWindows.Period(lastSecondOfMonth, QuotaPeriod.Monthly).Id, Is.EqualTo("m202701"));
            Assert.That(QuotaWindows.Period(firstSecondOfNext, QuotaPeriod.Monthly).Id, Is.EqualTo("m202702"));
            Assert.That(QuotaWindows.Period(lastSecondOfMonth, QuotaPeriod.Daily).Id, Is.EqualTo("d20270131"));
            Assert.That(QuotaWindows.Period(firstSecondOfNext, QuotaPeriod.Daily).Id, Is.EqualTo("d20270201"));
            Assert.That(QuotaWindows.Period(firstSecondOfNext.AddMinutes(59), QuotaPeriod.Hourly).Id, Is.EqualTo("h2027020100"));
            Assert.That(QuotaWindows.Period(firstSecondOfNext.AddMinutes(60), QuotaPeriod.Hourly), Is.EqualTo(("h2027020101", new DateTimeOffset(2027, 2, 1, 2, 0, 0, TimeSpan.Zero))));
            Assert.That(QuotaWindows.Period(firstSecondOfNext.ToOffset(TimeSpan.FromHours(-5)), QuotaPeriod.Daily).Id, Is.EqualTo("d20270201"), "any offset, the UTC day");
        });
    }
}
