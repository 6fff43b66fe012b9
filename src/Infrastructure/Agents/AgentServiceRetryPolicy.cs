using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// Silent retries kept on a short leash: at most <c>maxRetries</c>; reads and deletes after 408, 429, 500, 502, 503,
/// 504 and transport errors; creations (POST) only after 429 and 503, where the service says it did nothing, so a
/// retry never makes a second thread, message or run. Never when the retry-after asks for more than
/// <c>maxDelay</c>: the caller then gets the 429/503 with its Retry-After instead of a hidden wait.
/// </summary>
internal sealed class AgentServiceRetryPolicy : RetryPolicy
{
    private readonly int _maxRetries;
    private readonly TimeSpan _maxDelay;
    private readonly ILogger _logger;

    public AgentServiceRetryPolicy(int maxRetries, TimeSpan baseDelay, TimeSpan maxDelay, ILogger logger)
        : base(maxRetries, DelayStrategy.CreateExponentialDelayStrategy(baseDelay, maxDelay))
    {
        _maxRetries = maxRetries;
        _maxDelay = maxDelay;
        _logger = logger;
    }

    protected override bool ShouldRetry(HttpMessage message, Exception? exception)
    {
        if (message.ProcessingContext.RetryNumber >= _maxRetries || message.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var creates = message.Request.Method == RequestMethod.Post;
        if (exception is not null)
        {
            // Connection refused, reset or dropped, or one try's network timeout (the message's own token is not
            // cancelled, checked above). A creation may have reached the service, so it is not repeated.
            var transport = exception is RequestFailedException { Status: 0 } or IOException or System.Net.Http.HttpRequestException or OperationCanceledException;
            if (transport && !creates)
            {
                _logger.LogInformation("Retrying Agent Service {Method} after {Failure}", message.Request.Method, exception.GetType().Name);
                return true;
            }

            return false;
        }

        var status = message.Response.Status;
        var retriable = creates ? status is 429 or 503 : status is 408 or 429 or 500 or 502 or 503 or 504;
        if (!retriable)
        {
            return false;
        }

        if (Upstream.UpstreamRetryAfter.Read(message.Response, DateTimeOffset.UtcNow) is { } wait && wait > _maxDelay)
        {
            _logger.LogInformation("Not retrying Agent Service status {Status}: it asked to wait {RetryAfterMs:0} ms, more than {MaxDelayMs:0} ms",
                status, wait.TotalMilliseconds, _maxDelay.TotalMilliseconds);
            return false;
        }

        _logger.LogInformation("Retrying Agent Service {Method} after status {Status} (retry {Retry} of {MaxRetries})",
            message.Request.Method, status, message.ProcessingContext.RetryNumber + 1, _maxRetries);
        return true;
    }

    protected override ValueTask<bool> ShouldRetryAsync(HttpMessage message, Exception? exception) =>
        ValueTask.FromResult(ShouldRetry(message, exception));
}
