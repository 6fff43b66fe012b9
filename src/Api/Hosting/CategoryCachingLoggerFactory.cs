using System.Collections.Concurrent;

namespace Wrapper.Api.Hosting;

/// <summary>A logger factory that creates one logger per category and hands it out again, over a factory that does
/// not (Serilog's). Disposing it disposes the factory it wraps (which flushes Serilog).</summary>
internal sealed class CategoryCachingLoggerFactory : ILoggerFactory
{
    private readonly ILoggerFactory _inner;
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public CategoryCachingLoggerFactory(ILoggerFactory inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    public ILogger CreateLogger(string categoryName) =>
        _loggers.TryGetValue(categoryName, out var logger) ? logger : _loggers.GetOrAdd(categoryName, _inner.CreateLogger);

    /// <summary>A provider added after loggers were handed out reaches only the loggers created after it, as with
    /// Serilog's factory itself: the cache is cleared.</summary>
    public void AddProvider(ILoggerProvider provider)
    {
        _inner.AddProvider(provider);
        _loggers.Clear();
    }

    public void Dispose() => _inner.Dispose();
}
