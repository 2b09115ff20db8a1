using System.Linq.Expressions;
using System.Reflection;

namespace Ledger.Pricing;

/// <summary>
/// A pricing formula compiled once (per price-book version) into a delegate over <see cref="decimal"/>.
/// </summary>
/// <remarks>
/// The language: numbers (<c>2.50</c>, <c>1_000_000</c>), variables (meters, rates, numeric
/// dimensions), <c>+ - * /</c> (also <c>× ÷ −</c>), parentheses, unary minus, <c>min(a, b, ...)</c>,
/// <c>max(a, b, ...)</c>, <c>ceil(x)</c>, <c>floor(x)</c>, <c>ceil(x, step)</c> and <c>floor(x, step)</c>
/// (to a multiple of step), and <c>if (condition) a else b</c> where a condition compares with
/// <c>&lt; &lt;= &gt; &gt;= == !=</c> and combines with <c>and</c>, <c>or</c>, <c>not</c>.
/// All arithmetic is decimal: 0.10 + 0.20 is exactly 0.30, and a result that does not fit a decimal,
/// or a division by zero, is an error (<see cref="FormulaEvaluationException"/>), never a wrong number.
/// Nothing is rounded here: rounding happens once, on invoice lines.
/// </remarks>
public sealed class Formula
{
    private readonly Func<decimal[], decimal> _evaluate;

    public string Text { get; }
    /// <summary>The variables the formula reads, in the order <see cref="Evaluate(decimal[])"/> expects them.</summary>
    public IReadOnlyList<string> Variables { get; }

    private Formula(string text, IReadOnlyList<string> variables, Func<decimal[], decimal> evaluate)
    {
        Text = text;
        Variables = variables;
        _evaluate = evaluate;
    }

    /// <summary>Compiles <paramref name="text"/>; every variable must be one of <paramref name="known"/>.</summary>
    /// <exception cref="FormulaException">A syntax error or unknown variable, with its position.</exception>
    public static Formula Compile(string text, IReadOnlySet<string> known) =>
        Compile(text, known.Contains, string.Join(", ", known.Order(StringComparer.Ordinal)));

    /// <summary>Compiles <paramref name="text"/>; <paramref name="isKnown"/> decides which variables exist.</summary>
    /// <param name="knownDescription">What the error for an unknown variable lists as known.</param>
    public static Formula Compile(string text, Func<string, bool> isKnown, string knownDescription)
    {
        var parser = new Parser(FormulaLexer.Tokenize(text), isKnown, knownDescription);
        var body = parser.ParseFormula();
        var lambda = Expression.Lambda<Func<decimal[], decimal>>(body, parser.Values);
        return new Formula(text, parser.Slots, lambda.Compile());
    }

    public decimal Evaluate(decimal[] values)
    {
        try
        {
            return _evaluate(values);
        }
        catch (OverflowException ex)
        {
            throw new FormulaEvaluationException($"\"{Text}\" overflows: a value does not fit a 28-digit decimal", ex);
        }
        catch (DivideByZeroException ex)
        {
            throw new FormulaEvaluationException($"\"{Text}\" divides by zero", ex);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new FormulaEvaluationException($"\"{Text}\": {ex.Message}", ex);
        }
    }

    /// <summary>Evaluates with named values; a variable missing from <paramref name="values"/> counts as zero.</summary>
    public decimal Evaluate(IReadOnlyDictionary<string, decimal> values)
    {
        var slots = new decimal[Variables.Count];
        for (var i = 0; i < slots.Length; i++) slots[i] = values.GetValueOrDefault(Variables[i]);
        return Evaluate(slots);
    }

    /// <summary>Recursive descent, one method per precedence level, building the expression tree directly.</summary>
    private sealed class Parser(List<Token> tokens, Func<string, bool> isKnown, string knownDescription)
    {
        private static readonly MethodInfo Ceiling = typeof(Math).GetMethod(nameof(Math.Ceiling), [typeof(decimal)])!;
        private static readonly MethodInfo Floor = typeof(Math).GetMethod(nameof(Math.Floor), [typeof(decimal)])!;
        private static readonly MethodInfo Min = typeof(Math).GetMethod(nameof(Math.Min), [typeof(decimal), typeof(decimal)])!;
        private static readonly MethodInfo Max = typeof(Math).GetMethod(nameof(Math.Max), [typeof(decimal), typeof(decimal)])!;
        private static readonly MethodInfo CheckStep = typeof(Parser).GetMethod(nameof(PositiveStep), BindingFlags.NonPublic | BindingFlags.Static)!;

        private int _next;
        private readonly Dictionary<string, int> _slots = new();

        public ParameterExpression Values { get; } = Expression.Parameter(typeof(decimal[]), "values");
        public List<string> Slots { get; } = [];

        private Token Current => tokens[_next];

        public Expression ParseFormula()
        {
            if (Current.Kind == TokenKind.End) throw new FormulaException("the formula is empty", 0);
            var body = ParseValue();
            if (Current.Kind != TokenKind.End) throw Unexpected("an operator or the end of the formula");
            return body;
        }

        private Expression ParseValue()
        {
            if (!IsName("if")) return ParseSum();
            _next++;
            Expect(TokenKind.LeftParen, "'(' after if");
            var condition = ParseCondition();
            Expect(TokenKind.RightParen, "')' to close the condition");
            var then = ParseValue();
            if (!IsName("else")) throw Unexpected("'else': every if needs an else");
            _next++;
            return Expression.Condition(condition, then, ParseValue());
        }

        private Expression ParseCondition()
        {
            var left = ParseAnd();
            while (IsName("or")) { _next++; left = Expression.OrElse(left, ParseAnd()); }
            return left;
        }

        private Expression ParseAnd()
        {
            var left = ParseNot();
            while (IsName("and")) { _next++; left = Expression.AndAlso(left, ParseNot()); }
            return left;
        }

        private Expression ParseNot()
        {
            if (IsName("not")) { _next++; return Expression.Not(ParseNot()); }
            if (Current.Kind == TokenKind.LeftParen && LooksLikeCondition())
            {
                _next++;
                var inner = ParseCondition();
                Expect(TokenKind.RightParen, "')'");
                return inner;
            }
            var left = ParseSum();
            var op = Current;
            if (op.Kind != TokenKind.Operator || op.Text is not ("<" or "<=" or ">" or ">=" or "==" or "!="))
                throw Unexpected("a comparison (< <= > >= == !=)");
            _next++;
            var right = ParseSum();
            return op.Text switch
            {
                "<" => Expression.LessThan(left, right),
                "<=" => Expression.LessThanOrEqual(left, right),
                ">" => Expression.GreaterThan(left, right),
                ">=" => Expression.GreaterThanOrEqual(left, right),
                "==" => Expression.Equal(left, right),
                _ => Expression.NotEqual(left, right)
            };
        }

        /// <summary>Does the parenthesis at the cursor hold a whole condition (rather than start an arithmetic term)?</summary>
        private bool LooksLikeCondition()
        {
            var depth = 0;
            for (var i = _next; i < tokens.Count; i++)
            {
                var t = tokens[i];
                if (t.Kind == TokenKind.LeftParen) depth++;
                else if (t.Kind == TokenKind.RightParen && --depth == 0) return false;
                else if (depth == 1 && (t.Text is "<" or "<=" or ">" or ">=" or "==" or "!=" or "and" or "or" or "not")) return true;
            }
            return false;
        }

        private Expression ParseSum()
        {
            var left = ParseProduct();
            while (Current is { Kind: TokenKind.Operator, Text: "+" or "-" })
            {
                var op = tokens[_next++].Text;
                var right = ParseProduct();
                left = op == "+" ? Expression.Add(left, right) : Expression.Subtract(left, right);
            }
            return left;
        }

        private Expression ParseProduct()
        {
            var left = ParseUnary();
            while (Current is { Kind: TokenKind.Operator, Text: "*" or "/" })
            {
                var op = tokens[_next++].Text;
                var right = ParseUnary();
                left = op == "*" ? Expression.Multiply(left, right) : Expression.Divide(left, right);
            }
            return left;
        }

        private Expression ParseUnary()
        {
            if (Current is { Kind: TokenKind.Operator, Text: "-" }) { _next++; return Expression.Negate(ParseUnary()); }
            if (Current is { Kind: TokenKind.Operator, Text: "+" }) { _next++; return ParseUnary(); }
            return ParsePrimary();
        }

        private Expression ParsePrimary()
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.Number:
                    _next++;
                    return Expression.Constant(token.Number);
                case TokenKind.LeftParen:
                    _next++;
                    var inner = ParseValue();
                    Expect(TokenKind.RightParen, "')'");
                    return inner;
                case TokenKind.Name when tokens[_next + 1].Kind == TokenKind.LeftParen:
                    return ParseCall();
                case TokenKind.Name when token.Text is "if":
                    return ParseValue();
                case TokenKind.Name when token.Text is "else" or "and" or "or" or "not":
                    throw Unexpected("a number, a variable or '('");
                case TokenKind.Name:
                    _next++;
                    return Variable(token);
                default:
                    throw Unexpected("a number, a variable or '('");
            }
        }

        private Expression ParseCall()
        {
            var name = tokens[_next];
            _next += 2;
            var args = new List<Expression> { ParseValue() };
            while (Current.Kind == TokenKind.Comma) { _next++; args.Add(ParseValue()); }
            Expect(TokenKind.RightParen, $"',' or ')' in {name.Text}(...)");
            return name.Text switch
            {
                "min" or "max" => args.Aggregate((a, b) => Expression.Call(name.Text == "min" ? Min : Max, a, b)),
                "ceil" or "floor" when args.Count is 1 => Expression.Call(name.Text == "ceil" ? Ceiling : Floor, args[0]),
                "ceil" or "floor" when args.Count is 2 => ToStep(name.Text == "ceil" ? Ceiling : Floor, args[0], args[1]),
                "ceil" or "floor" => throw new FormulaException($"{name.Text} takes a value and optionally a step: {name.Text}(x) or {name.Text}(x, step)", name.Position),
                _ => throw new FormulaException($"unknown function \"{name.Text}\"; use min, max, ceil or floor", name.Position)
            };
        }

        /// <summary>ceil(x, step) = ceiling(x / step) × step: e.g. bill GPU time in started 60-second blocks.</summary>
        private static Expression ToStep(MethodInfo round, Expression value, Expression step)
        {
            var checkedStep = Expression.Call(CheckStep, step);
            return Expression.Multiply(Expression.Call(round, Expression.Divide(value, checkedStep)), checkedStep);
        }

        private static decimal PositiveStep(decimal step) =>
            step > 0 ? step : throw new ArgumentOutOfRangeException(nameof(step), step, "the step of ceil/floor must be greater than zero");

        private Expression Variable(Token token)
        {
            if (!isKnown(token.Text))
                throw new FormulaException($"unknown variable \"{token.Text}\"; known here: {knownDescription}", token.Position);
            if (!_slots.TryGetValue(token.Text, out var slot))
            {
                slot = Slots.Count;
                _slots[token.Text] = slot;
                Slots.Add(token.Text);
            }
            return Expression.ArrayIndex(Values, Expression.Constant(slot));
        }

        private bool IsName(string word) => Current.Kind == TokenKind.Name && Current.Text == word;

        private void Expect(TokenKind kind, string what)
        {
            if (Current.Kind != kind) throw Unexpected(what);
            _next++;
        }

        private FormulaException Unexpected(string expected) =>
            new(Current.Kind == TokenKind.End
                ? $"the formula ends too early: expected {expected}"
                : $"expected {expected} but found \"{Current.Text}\"", Current.Position);
    }
}
