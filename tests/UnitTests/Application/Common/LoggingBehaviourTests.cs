using FluentValidation.Results;
using Microsoft.Extensions.Logging;
using Wrapper.Application.Common.Behaviours;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Completion;
using Wrapper.Domain.Chat;
using Wrapper.UnitTests.Application.TestDoubles;

namespace Wrapper.UnitTests.Application.Common;

public sealed class LoggingBehaviourTests
{
    private const string PrivatePrompt = "my card number is 4111 1111 1111 1111";

    private LogRecorder _recorder = null!;
    private LoggingBehaviour<GetCompletion, ChatCompletion> _behaviour = null!;

    [SetUp]
    public void SetUp()
    {
        _recorder = new LogRecorder();
        _behaviour = new LoggingBehaviour<GetCompletion, ChatCompletion>(new RecordingLogger<LoggingBehaviour<GetCompletion, ChatCompletion>>(_recorder));
    }

    private static readonly ChatCompletion Answer = new("fine", "gpt-4o", "stop", new TokenUsage(1, 1));

    [Test]
    public async Task Success_ReturnsTheHandlersResponseAndLogsTheRequestNameAtDebug()
    {
        var response = await _behaviour.Handle(new GetCompletion(PrivatePrompt), CancellationToken.None, () => Task.FromResult(Answer));

        Assert.That(response, Is.SameAs(Answer));
        var entry = _recorder.Entries.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(entry.Level, Is.EqualTo(LogLevel.Debug));
            Assert.That(entry.Values["Request"], Is.EqualTo(nameof(GetCompletion)));
            Assert.That(entry.Values, Does.ContainKey("ElapsedMs"));
        }
    }

    [Test]
    public void UpstreamFailure_IsLoggedAsAWarningWithItsKindAndStatus_AndRethrown()
    {
        var failure = new UpstreamException(UpstreamFailure.Throttled, "Too many requests.", TimeSpan.FromSeconds(5), 429);

        var thrown = Assert.ThrowsAsync<UpstreamException>(() =>
            _behaviour.Handle(new GetCompletion(PrivatePrompt), CancellationToken.None, () => Task.FromException<ChatCompletion>(failure)));

        Assert.That(thrown, Is.SameAs(failure));
        var entry = _recorder.Entries.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(entry.Level, Is.EqualTo(LogLevel.Warning));
            Assert.That(entry.Values["Failure"], Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(entry.Values["UpstreamStatus"], Is.EqualTo(429));
        }
    }

    [Test]
    public void ValidationFailure_IsLoggedWithTheInvalidFieldNamesOnly_AndRethrown()
    {
        var failure = new ValidationException([new ValidationFailure("query", "'query' must not contain " + PrivatePrompt)]);

        var thrown = Assert.ThrowsAsync<ValidationException>(() =>
            _behaviour.Handle(new GetCompletion(PrivatePrompt), CancellationToken.None, () => Task.FromException<ChatCompletion>(failure)));

        Assert.That(thrown, Is.SameAs(failure));
        var entry = _recorder.Entries.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(entry.Level, Is.EqualTo(LogLevel.Information));
            Assert.That(entry.Values["Fields"], Is.EqualTo("query"));
            Assert.That(entry.Message, Does.Not.Contain("4111"));
        }
    }

    [Test]
    public void CancellationByTheCaller_IsLoggedAndRethrown()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.CatchAsync<OperationCanceledException>(() =>
            _behaviour.Handle(new GetCompletion(PrivatePrompt), cts.Token, () => Task.FromCanceled<ChatCompletion>(cts.Token)));

        var entry = _recorder.Entries.Single();
        Assert.That(entry.Message, Does.Contain("cancelled by the caller"));
    }

    [Test]
    public void CancellationNotRequestedByTheCaller_IsNotReportedAsTheCallersCancellation()
    {
        var inner = new OperationCanceledException("an internal timeout");

        var thrown = Assert.CatchAsync<OperationCanceledException>(() =>
            _behaviour.Handle(new GetCompletion(PrivatePrompt), CancellationToken.None, () => Task.FromException<ChatCompletion>(inner)));

        Assert.That(thrown, Is.SameAs(inner));
        Assert.That(_recorder.Entries.Select(e => e.Message), Has.None.Contain("cancelled by the caller"));
    }

    [Test]
    public void UnexpectedException_PropagatesUnchanged()
    {
        var failure = new InvalidOperationException("bug");

        var thrown = Assert.ThrowsAsync<InvalidOperationException>(() =>
            _behaviour.Handle(new GetCompletion(PrivatePrompt), CancellationToken.None, () => Task.FromException<ChatCompletion>(failure)));

        Assert.That(thrown, Is.SameAs(failure));
    }

    [Test]
    public async Task NoLogEntry_ContainsTheRequestContent()
    {
        await _behaviour.Handle(new GetCompletion(PrivatePrompt), CancellationToken.None, () => Task.FromResult(Answer));
        Assert.ThrowsAsync<UpstreamException>(() => _behaviour.Handle(new GetCompletion(PrivatePrompt), CancellationToken.None,
            () => Task.FromException<ChatCompletion>(new UpstreamException(UpstreamFailure.Unavailable, "down", upstreamStatus: 503))));

        Assert.That(_recorder.Entries, Has.Count.EqualTo(2));
        foreach (var entry in _recorder.Entries)
        {
            Assert.That(entry.Message, Does.Not.Contain("4111"));
            Assert.That(entry.Values.Values.Select(v => v?.ToString() ?? string.Empty), Has.None.Contain("4111"));
        }
    }
}
