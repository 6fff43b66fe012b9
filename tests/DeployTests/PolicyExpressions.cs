using System.Collections.Immutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Wrapper.DeployTests;

/// <summary>A C# policy expression of an APIM policy file: <c>@( … )</c> or <c>@{ … }</c>.</summary>
internal sealed record PolicyExpression(string Location, string Code, bool IsBlock);

/// <summary>
/// Finds the policy expressions of a policy document and compiles them as C# 7.3 (the language level of
/// APIM policy expressions) against a stand-in of the APIM <c>context</c> object, so that a syntax error,
/// an unknown member, a wrong cast or a code path without <c>return</c> fails here instead of at the gateway.
/// </summary>
internal static partial class PolicyExpressions
{
    // The members of context that the policies of this repository use, with APIM's types and names.
    private const string ContextStandIn = """
        namespace Apim
        {
            using System;
            using System.Collections.Generic;

            public interface IHeaders
            {
                string GetValueOrDefault(string headerName, string defaultValue);
                bool ContainsKey(string headerName);
                bool TryGetValue(string headerName, out string[] values);
            }

            public interface IMessageBody
            {
                T As<T>(bool preserveContent = false);
            }

            public interface IUrl
            {
                string Host { get; }
                string Path { get; }
                int Port { get; }
                string Scheme { get; }
                string QueryString { get; }
            }

            public interface IRequest
            {
                IMessageBody Body { get; }
                IHeaders Headers { get; }
                string IpAddress { get; }
                string Method { get; }
                IUrl Url { get; }
            }

            public interface IResponse
            {
                IMessageBody Body { get; }
                IHeaders Headers { get; }
                int StatusCode { get; }
                string StatusReason { get; }
            }

            public interface IVariables
            {
                object this[string name] { get; }
                bool ContainsKey(string name);
                T GetValueOrDefault<T>(string name, T defaultValue = default(T));
            }

            public interface ILastError
            {
                string Source { get; }
                string Reason { get; }
                string Message { get; }
                string Scope { get; }
                string Section { get; }
                string Path { get; }
                string PolicyId { get; }
            }

            public interface IContext
            {
                DateTime Timestamp { get; }
                TimeSpan Elapsed { get; }
                Guid RequestId { get; }
                IRequest Request { get; }
                IResponse Response { get; }
                IVariables Variables { get; }
                ILastError LastError { get; }
            }
        }
        """;

    private static readonly ImmutableArray<MetadataReference> References =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();

    [GeneratedRegex(@"\{\{[A-Za-z0-9._-]+\}\}")]
    private static partial Regex NamedValueReference();

    [GeneratedRegex(@"Expressions\.Expression(?<index>\d+)\(")]
    private static partial Regex MethodName();

    /// <summary>Every attribute value and element text of the document that is a policy expression.</summary>
    public static IReadOnlyList<PolicyExpression> Find(XDocument document, string fileName)
    {
        var attributes = document.Descendants()
            .SelectMany(element => element.Attributes())
            .Select(attribute => (Location: $"{fileName}: <{attribute.Parent!.Name.LocalName} {attribute.Name}>", Text: attribute.Value));
        var texts = document.Descendants()
            .Where(element => !element.HasElements)
            .Select(element => (Location: $"{fileName}: <{element.Name.LocalName}> text", Text: element.Value));
        return attributes.Concat(texts)
            .Select(candidate => (candidate.Location, Text: candidate.Text.Trim()))
            .Where(candidate => candidate.Text.StartsWith("@(", StringComparison.Ordinal) || candidate.Text.StartsWith("@{", StringComparison.Ordinal))
            .Select(candidate => new PolicyExpression(
                candidate.Location,
                candidate.Text[2..^1],
                candidate.Text[1] == '{'))
            .ToList();
    }

    /// <summary>Compiler errors of the expressions (empty when every expression compiles).</summary>
    public static IReadOnlyList<string> Compile(IReadOnlyList<PolicyExpression> expressions)
    {
        var methods = expressions.Select((expression, index) =>
        {
            // Named values are substituted as text before the gateway compiles an expression.
            var code = NamedValueReference().Replace(expression.Code, "named-value");
            var body = expression.IsBlock ? code : $"return ({code});";
            // #line maps compiler errors back to the expression (file name = index, line 1 = first line).
            return string.Join(
                Environment.NewLine,
                $"public static object Expression{index}(IContext context)",
                "{",
                $"#line 1 \"{index}\"",
                body,
                "#line default",
                "}");
        });
        var source = string.Join(
            Environment.NewLine,
            "namespace Apim",
            "{",
            "using System;",
            "using System.Collections.Generic;",
            "using System.Linq;",
            "using System.Text;",
            "using System.Text.RegularExpressions;",
            "public static class Expressions",
            "{",
            string.Join(Environment.NewLine, methods),
            "}",
            "}");

        var options = new CSharpParseOptions(LanguageVersion.CSharp7_3);
        var compilation = CSharpCompilation.Create(
            "PolicyExpressions",
            [CSharpSyntaxTree.ParseText(ContextStandIn, options), CSharpSyntaxTree.ParseText(source, options)],
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));

        using var assembly = new MemoryStream();
        var result = compilation.Emit(assembly);
        return result.Diagnostics
            .Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error)
            .Select(diagnostic =>
            {
                // Inside an expression, #line names it; on the method itself (e.g. a missing return), its name does.
                var span = diagnostic.Location.GetMappedLineSpan();
                if (int.TryParse(span.Path, out var index) && index < expressions.Count)
                {
                    return $"{expressions[index].Location}, expression line {span.StartLinePosition.Line + 1}: {diagnostic.GetMessage()}";
                }
                var method = MethodName().Match(diagnostic.GetMessage());
                return method.Success && int.TryParse(method.Groups["index"].Value, out index) && index < expressions.Count
                    ? $"{expressions[index].Location}: {diagnostic.GetMessage()}"
                    : diagnostic.ToString();
            })
            .ToList();
    }
}
