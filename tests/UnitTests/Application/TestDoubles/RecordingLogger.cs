using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Wrapper.UnitTests.Application.TestDoubles;

/// <summary>One log entry as a logger received it: level, rendered message and the structured values.</summary>
public sealed record LogEntry(LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Values);

/// <summary>Collects log entries of every category, so tests can assert what was (and was not) logged.</summary>
public sealed class LogRecorder
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

    internal void Add(LogEntry entry) => _entries.Enqueue(entry);
}

/// <summary>An <see cref="ILogger{TCategoryName}"/> that writes into a <see cref="LogRecorder"/>.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly LogRecorder _recorder;

    public RecordingLogger(LogRecorder recorder) => _recorder = recorder;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value)
            : new Dictionary<string, object?>();
        _recorder.Add(new LogEntry(logLevel, formatter(state, exception), values));
    }
}
