using Microsoft.Extensions.Logging;
using OpenAI.Chat;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Infrastructure.Resilience;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>What a failed try on an Azure OpenAI upstream means, for <see cref="AzureOpenAIChatCompletionService"/> and
/// <see cref="AzureOpenAIChatRelay"/> alike: the caller's cancellation, a timeout of the try (or of a stream's silence),
/// or a mapped upstream failure; a 404 of the upstream's own deployment is reported to its deployment check.</summary>
internal static class UpstreamTryFailure
{
    /// <param name="ex">What the try threw.</param>
    /// <param name="upstream">The upstream tried.</param>
    /// <param name="deployment">The deployment called on it.</param>
    /// <param name="callerToken">The caller's token: when cancelled, the failure is the caller's cancellation.</param>
    /// <param name="attemptToken">The try's token: when cancelled, the try timed out.</param>
    /// <param name="timeout">The try's deadline, or the stream's idle timeout when <paramref name="midStream"/>.</param>
    /// <param name="midStream">The stream had started.</param>
    /// <param name="now">The time, for a Retry-After given as a date.</param>
    /// <param name="upstreamMessage">The upstream's own message to keep for a 400 or a content filter refusal (the
    /// request's own fault), or null to keep the mapped one.</param>
    /// <param name="logger">Where the failure is logged.</param>
    /// <param name="what">What failed, for the log (" a relayed chat completion", or empty).</param>
    public static Exception Translate(Exception ex, PooledUpstream<ChatClient> upstream, string deployment, CancellationToken callerToken,
        CancellationToken attemptToken, TimeSpan timeout, bool midStream, DateTimeOffset now, Func<Exception, string?>? upstreamMessage,
        ILogger logger, string what)
    {
        if (callerToken.IsCancellationRequested)
        {
            // The caller gave up: whatever the SDK threw on the way out (a cancelled read may surface as an IOException)
            // is cancellation, not an upstream failure.
            return ex as OperationCanceledException ?? new OperationCanceledException("The caller cancelled the request.", ex, callerToken);
        }

        UpstreamException mapped;
        if (ex is UpstreamException typed)
        {
            mapped = typed;
        }
        else if (attemptToken.IsCancellationRequested)
        {
            mapped = midStream
                ? new UpstreamException(UpstreamFailure.Timeout,
                    $"Azure OpenAI stopped sending the answer for more than {timeout.TotalSeconds:0.###} s.", innerException: ex)
                : new UpstreamException(UpstreamFailure.Timeout, $"Azure OpenAI did not answer within {timeout.TotalSeconds:0.###} s.", innerException: ex);
        }
        else
        {
            mapped = UpstreamErrorMapper.Map(ex, deployment, timeout, now);
            if (midStream && mapped.Failure == UpstreamFailure.Unavailable && mapped.UpstreamStatus is null)
            {
                mapped = new UpstreamException(UpstreamFailure.Unavailable, "Azure OpenAI broke off the answer (the connection was dropped).",
                    innerException: ex);
            }
            else if (upstreamMessage is not null && mapped.Failure is UpstreamFailure.BadRequest or UpstreamFailure.ContentFiltered
                     && upstreamMessage(ex) is { } message)
            {
                mapped = new UpstreamException(mapped.Failure, message, mapped.RetryAfter, mapped.UpstreamStatus, ex);
            }
        }

        if (mapped.Failure == UpstreamFailure.NotFound && mapped.UpstreamStatus == 404 && deployment == upstream.Deployment)
        {
            upstream.DeploymentCheck?.ReportMissing(mapped); // health reports it without spending a token
        }

        logger.LogWarning("Azure OpenAI upstream {Upstream} (deployment {Deployment}) failed{Where}: {Failure} (upstream status {UpstreamStatus}, retry after {RetryAfter}, cause {Cause})",
            upstream.Name, deployment, midStream ? what + " mid-stream" : what, mapped.Failure, mapped.UpstreamStatus, mapped.RetryAfter,
            mapped.InnerException?.GetType().Name);
        return mapped;
    }

    /// <summary>A stream that ended before its answer was finished.</summary>
    public static UpstreamException BrokenOff() =>
        new(UpstreamFailure.Unavailable, "Azure OpenAI broke off the answer (the stream ended before it was finished).", upstreamStatus: 200);

    /// <summary>Disposes a stream's parts, ignoring what aborting a response still being read may throw.</summary>
    public static async ValueTask DisposeQuietlyAsync(IAsyncDisposable disposable)
    {
        try
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            // Aborting or releasing a response that already failed may complain; the stream is over either way.
        }
    }
}
