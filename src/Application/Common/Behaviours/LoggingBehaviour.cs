using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Application.Common.Behaviours;

/// <summary>Logs each request's name, duration and outcome. Never logs the request's content: prompts may be
/// personal data. A success is logged at Debug: the request log's one line per request (method, path, status, time)
/// already says it at Information, and a second line per request cost measurable CPU under load (bench/).</summary>
public sealed class LoggingBehaviour<TRequest, TResponse> : IPipelineBehavior<TRequest, TResponse>
{
    private readonly ILogger<LoggingBehaviour<TRequest, TResponse>> _logger;

    public LoggingBehaviour(ILogger<LoggingBehaviour<TRequest, TResponse>> logger) => _logger = logger;

    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var name = typeof(TRequest).Name;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await next().ConfigureAwait(false);
            _logger.LogDebug("Handled {Request} in {ElapsedMs:0.0} ms", name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return response;
        }
        catch (UpstreamException ex)
        {
            _logger.LogWarning("{Request} failed upstream after {ElapsedMs:0.0} ms: {Failure} (upstream status {UpstreamStatus})",
                name, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex.Failure, ex.UpstreamStatus);
            throw;
        }
        catch (Exceptions.ValidationException ex)
        {
            _logger.LogInformation("{Request} rejected: invalid {Fields}", name, string.Join(", ", ex.Errors.Keys));
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _logger.LogInformation("{Request} cancelled by the caller after {ElapsedMs:0.0} ms", name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            throw;
        }
    }
}
